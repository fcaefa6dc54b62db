export { WGS84_A, WGS84_B, WGS84_E2, WGS84_F, EnuFrame, ecefToGeodetic, geodeticToEcef, type Geodetic, type Vec3 } from './wgs84.ts';
export { rotationFromOrientation, orientationFromRotation, axisAngleToMatrix, mat3Mul, mat3Transpose, rotationAngleBetween, normDeg, type Orientation } from './rotation.ts';
export { CameraClock, type ClockParams } from './clock.ts';
export { Camera, MIN_DEPTH_M, type CameraParams, type IntrinsicsParams, type PoseParams, type RollingShutterParams } from './camera.ts';
export { projectMoving, type MovingState } from './moving.ts';
