// Worker bootstrap (plain JavaScript): registers tsx in this thread, then loads the TypeScript
// ingest lane (see lane-pool.ts).
import { register } from 'tsx/esm/api';
register();
await import('./lane-worker.ts');
