// Worker bootstrap (plain JavaScript): registers tsx in this thread, then loads the TypeScript
// online-calibration worker (see live-calib.ts).
import { register } from 'tsx/esm/api';
register();
await import('./live-calib-worker.ts');
