export { loadScenario, parseScenario, ScenarioSchema, type Scenario, type SimCamera, type SimTarget } from './scenario.ts';
export { runSim, buildRenderers, frameCount, type SimOptions, type SimResult } from './run.ts';
export { cameraFromSim, CameraRenderer } from './render.ts';
export { FfmpegEncoder, encoderArgs, type Codec, type EncoderOptions } from './encode.ts';
export { reportedCamera } from './reported.ts';
export { Trajectory } from './trajectory.ts';
export { SimulatedTarget } from './targets.ts';
export { FootprintRenderer, type FootprintSpec } from './footprint.ts';
