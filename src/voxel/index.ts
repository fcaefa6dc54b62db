export { createSnapshot, VoxelStateError, type AccumulateResult, type MotionPixelsLike, type ProjectorOptions, type ProjectorStats, type VolumeSpec, type VoxelProjector, type VoxelSnapshot } from './types.ts';
export { MAX_GRID_VOXELS, asGrid, cellOfKey, gridOf, keyOfCell, voxelCenter, voxelIndexOf, type VoxelGrid } from './volume.ts';
export { clipRay, maxCellsPerRay, walkRay } from './dda.ts';
export { createCpuProjector, MAX_CAMERAS } from './cpu/projector.ts';
export { WINDOW_BUCKETS } from './cpu/table.ts';
