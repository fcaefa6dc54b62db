// Worker bootstrap (plain JavaScript): registers tsx in this thread, then loads the TypeScript relay worker.
import { register } from 'tsx/esm/api';
register();
await import('./relay-worker.ts');
