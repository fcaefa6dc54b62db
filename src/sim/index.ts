export { loadScenario, parseScenario, ScenarioSchema, type Scenario, type SimCamera, type SimTarget, type SimBump, type SkylineSpec } from './scenario.ts';
export { runSim, buildRenderers, buildScene, frameCount, type SimOptions, type SimResult } from './run.ts';
export { cameraFromSim, bumpedSimCamera, CameraRenderer, type BumpedView } from './render.ts';
export { StaticScene, type SceneObject, type SceneBuilding, type SceneTree, type SceneRidge } from './scene.ts';
export { FfmpegEncoder, encoderArgs, type Codec, type EncoderOptions } from './encode.ts';
export { reportedCamera } from './reported.ts';
export { Trajectory } from './trajectory.ts';
export { SimulatedTarget } from './targets.ts';
export { FootprintRenderer, type FootprintSpec } from './footprint.ts';
