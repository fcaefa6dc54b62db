/** Geometric solvers of the calibration: the public face of src/calib/solvers. */
export { eightPoint, sevenPoint, enforceRank2, hartleyNormalization, realCubicRoots, sampsonError2 } from './fundamental.ts';
export { fivePoint, decomposeEssential, essentialFromPose, essentialLeastSquares, projectToEssential, recoverPose, twoViewDepths } from './essential.ts';
export { triangulateDlt, triangulateMidpoint, refinePoint, solve3, type View } from './triangulate.ts';
export { pnpDlt, refinePose, type Pose } from './pnp.ts';
export { ransac, type RansacOptions, type RansacResult } from './ransac.ts';
export { umeyama, applySimilarity, type Similarity } from './similarity.ts';
export { expSO3, logSO3, mul3, transpose3, mulVec3, det3, skew, svd3, nullSpace, projectToRotation } from './linalg.ts';
