/**
 * Launch-grid arithmetic shared by kernels: WebGPU caps workgroups per dimension (65535),
 * so long 1-D launches fold into two dimensions and the kernel unfolds them.
 *
 * @module
 */

/** Workgroups per grid row before folding into a second dimension. */
export const MAX_GRID_X = 65535;

/** A 1-D launch of `groups` workgroups folded into (x, y). */
export function foldGrid(groups: number): [number, number] {
  const total = Math.max(1, groups);
  const x = Math.min(total, MAX_GRID_X);
  return [x, Math.ceil(total / x)];
}

/** WGSL expression for the flat workgroup index of a launch folded by {@link foldGrid}. */
export function flatGroupIndex(groups: number): string {
  const [x] = foldGrid(groups);
  return `(wid.y * ${x}u + wid.x)`;
}
