/**
 * Augmentation kernels that read neighbourhoods (out of place, channels-last batches):
 * one axis of a separable Gaussian blur, and simulated low resolution (nearest
 * downsampling then linear upsampling, fused into one gather).
 *
 * @module
 */

import { augmentationEntry, type BatchGeometry, splitElementIndex } from "./augmentation.ts";
import type { AugmentationKernel } from "./augmentation_intensity.ts";

/**
 * One axis (0 = D, 1 = H, 2 = W) of a Gaussian blur with half-sample symmetric
 * ("reflect") borders. Per sample-channel the weights buffer holds a slot of
 * `maxRadius + 2` floats: `[radius, w0, w1, …]` (symmetric taps, w0 the centre); radius 0
 * copies. Bindings: 0 out, 1 image, 2 weights.
 */
export function blurAxisKernel(
  geometry: BatchGeometry,
  axis: 0 | 1 | 2,
  maxRadius: number,
): AugmentationKernel {
  const total = geometry.batch * geometry.size[0] * geometry.size[1] * geometry.size[2] *
    geometry.channels;
  const { groups, text } = augmentationEntry(total);
  const length = geometry.size[axis];
  const coordinate = ["d", "h", "w"][axis];
  const stride = geometry.channels *
    (axis === 0 ? geometry.size[1] * geometry.size[2] : axis === 1 ? geometry.size[2] : 1);
  const slot = maxRadius + 2;
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
fn reflect_index(i: i32) -> i32 {
  let period = ${2 * length};
  let m = ((i % period) + period) % period;
  return select(m, period - 1 - m, m >= ${length});
}
${text}
  ${splitElementIndex(geometry)}
  let slot = nc * ${slot}u;
  let radius = i32(weights[slot]);
  let line = i32(idx) - i32(${coordinate}) * ${stride};
  let centre = i32(${coordinate});
  var acc = weights[slot + 1u] * image[idx];
  for (var k = 1; k <= radius; k++) {
    let below = line + reflect_index(centre - k) * ${stride};
    let above = line + reflect_index(centre + k) * ${stride};
    acc += weights[slot + 1u + u32(k)] * (image[below] + image[above]);
  }
  out[idx] = acc;
}
`;
  return { code, groups };
}

/**
 * Simulated low resolution. Per sample-channel `[enabled, Ld, Lh, Lw]`: the volume of size S
 * is downsampled to L by nearest (`s = ⌊(2l + 1)·S / 2L⌋`) and upsampled back linearly
 * (half-pixel centres: `p = ((2o + 1)·L − S) / 2S`, clamped to `[0, L − 1]`), fused: each
 * output reads the 8 original voxels its low-resolution taps came from. Disabled copies.
 * Bindings: 0 out, 1 image, 2 quadruples.
 */
export function lowResolutionKernel(geometry: BatchGeometry): AugmentationKernel {
  const [depth, height, width] = geometry.size;
  const channels = geometry.channels;
  const total = geometry.batch * depth * height * width * channels;
  const { groups, text } = augmentationEntry(total);
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read> quads: array<f32>;
struct Taps { s0: u32, s1: u32, t: f32 }
fn taps(o: u32, size: u32, low: u32) -> Taps {
  let p = clamp(f32(i32((2u * o + 1u) * low) - i32(size)) / f32(2u * size), 0.0, f32(low - 1u));
  let l0 = u32(floor(p));
  let l1 = min(l0 + 1u, low - 1u);
  let s0 = min(((2u * l0 + 1u) * size) / (2u * low), size - 1u);
  let s1 = min(((2u * l1 + 1u) * size) / (2u * low), size - 1u);
  return Taps(s0, s1, p - f32(l0));
}
${text}
  ${splitElementIndex(geometry)}
  if (quads[4u * nc] == 0.0) { out[idx] = image[idx]; return; }
  let tz = taps(d, ${depth}u, u32(quads[4u * nc + 1u]));
  let ty = taps(h, ${height}u, u32(quads[4u * nc + 2u]));
  let tx = taps(w, ${width}u, u32(quads[4u * nc + 3u]));
  let base = n * ${depth * height * width * channels}u + c;
  let z0 = base + tz.s0 * ${height * width * channels}u;
  let z1 = base + tz.s1 * ${height * width * channels}u;
  let y0 = ty.s0 * ${width * channels}u;
  let y1 = ty.s1 * ${width * channels}u;
  let x0 = tx.s0 * ${channels}u;
  let x1 = tx.s1 * ${channels}u;
  let a = mix(image[z0 + y0 + x0], image[z0 + y0 + x1], tx.t);
  let b = mix(image[z0 + y1 + x0], image[z0 + y1 + x1], tx.t);
  let e = mix(image[z1 + y0 + x0], image[z1 + y0 + x1], tx.t);
  let g = mix(image[z1 + y1 + x0], image[z1 + y1 + x1], tx.t);
  out[idx] = mix(mix(a, b, ty.t), mix(e, g, ty.t), tz.t);
}
`;
  return { code, groups };
}
