/**
 * The spatial augmentation kernel: one pass that resamples image and label of every sample
 * through its own affine map from output voxel to input voxel (rotation, scaling, mirroring
 * and the crop from the sampled patch to the output size, all composed on the host). The
 * image is interpolated trilinearly, the label by nearest neighbour, so the label keeps its
 * set of values. Taps outside the input read the fill values.
 *
 * Matrices: 12 floats per sample, row-major 3×4, mapping `(d, h, w, 1)` of the output to
 * continuous `(d, h, w)` of the input.
 *
 * @module
 */

import {
  augmentationEntry,
  type BatchGeometry,
  f32Literal,
  splitElementIndex,
} from "./augmentation.ts";

/** What {@link affineResampleKernel} is specialised for. */
export interface AffineResampleSpec {
  /** Input batch geometry (the sampled patches). */
  input: BatchGeometry;
  /** Output spatial size (D, H, W). */
  outputSize: readonly [number, number, number];
  /** Image value where a tap falls outside the input. */
  imageFill: number;
  /** Label value where the nearest voxel lies outside the input. */
  labelFill: number;
}

/**
 * WGSL of the affine resampling. Bindings: 0 out image (f32), 1 out label (i32),
 * 2 image (f32), 3 label (i32), 4 matrices (f32, 12 per sample). One invocation per output
 * voxel; the 8 taps' weights are shared by all channels.
 */
export function affineResampleKernel(spec: AffineResampleSpec): { code: string; groups: number } {
  const { input, outputSize, imageFill, labelFill } = spec;
  const [inD, inH, inW] = input.size;
  const channels = input.channels;
  const outGeometry: BatchGeometry = { batch: input.batch, size: outputSize, channels: 1 };
  const outVoxels = outputSize[0] * outputSize[1] * outputSize[2];
  const { groups, text } = augmentationEntry(input.batch * outVoxels);
  const taps: string[] = [];
  for (let corner = 0; corner < 8; corner++) {
    const dz = corner >> 2, dy = (corner >> 1) & 1, dx = corner & 1;
    taps.push(
      `{
    let z = i0.x + ${dz}; let y = i0.y + ${dy}; let x = i0.z + ${dx};
    let inside = z >= 0 && z < ${inD} && y >= 0 && y < ${inH} && x >= 0 && x < ${inW};
    let weight = ${dz ? "t.x" : "(1.0 - t.x)"} * ${dy ? "t.y" : "(1.0 - t.y)"} * ${
        dx ? "t.z" : "(1.0 - t.z)"
      };
    let at = (sample_base + u32(clamp(z, 0, ${inD - 1})) * ${inH * inW}u +
      u32(clamp(y, 0, ${inH - 1})) * ${inW}u + u32(clamp(x, 0, ${inW - 1}))) * ${channels}u;
    for (var ch = 0u; ch < ${channels}u; ch++) {
      acc[ch] += weight * select(fill, image[at + ch], inside);
    }
  }`,
    );
  }
  const code = `
@group(0) @binding(0) var<storage, read_write> out_image: array<f32>;
@group(0) @binding(1) var<storage, read_write> out_label: array<i32>;
@group(0) @binding(2) var<storage, read> image: array<f32>;
@group(0) @binding(3) var<storage, read> label: array<i32>;
@group(0) @binding(4) var<storage, read> matrices: array<f32>;
${text}
  ${splitElementIndex(outGeometry)}
  let m = n * 12u;
  let p = vec3<f32>(f32(d), f32(h), f32(w));
  let q = vec3<f32>(
    matrices[m] * p.x + matrices[m + 1u] * p.y + matrices[m + 2u] * p.z + matrices[m + 3u],
    matrices[m + 4u] * p.x + matrices[m + 5u] * p.y + matrices[m + 6u] * p.z + matrices[m + 7u],
    matrices[m + 8u] * p.x + matrices[m + 9u] * p.y + matrices[m + 10u] * p.z + matrices[m + 11u]);
  let sample_base = n * ${inD * inH * inW}u;
  let fill = ${f32Literal(imageFill)};
  let f = floor(q);
  let t = q - f;
  let i0 = vec3<i32>(f);
  var acc: array<f32, ${channels}>;
  ${taps.join("\n  ")}
  for (var ch = 0u; ch < ${channels}u; ch++) { out_image[voxel * ${channels}u + ch] = acc[ch]; }
  let r = vec3<i32>(floor(q + vec3<f32>(0.5)));
  let label_inside = r.x >= 0 && r.x < ${inD} && r.y >= 0 && r.y < ${inH} && r.z >= 0 &&
    r.z < ${inW};
  let label_at = sample_base + u32(clamp(r.x, 0, ${inD - 1})) * ${inH * inW}u +
    u32(clamp(r.y, 0, ${inH - 1})) * ${inW}u + u32(clamp(r.z, 0, ${inW - 1}));
  out_label[voxel] = select(${labelFill | 0}, label[label_at], label_inside);
}
`;
  return { code, groups };
}
