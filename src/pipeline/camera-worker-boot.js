// Worker bootstrap (plain JavaScript): registers tsx in this thread, then loads the TypeScript
// worker. Needed because a worker thread does not inherit the loader bin/dvs.js registered.
import { register } from 'tsx/esm/api';
register();
await import('./camera-worker.ts');
