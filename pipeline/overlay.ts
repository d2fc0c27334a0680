/**
 * Overlay pictures: the slice with the most foreground, shown three times side by side —
 * the image, the reference labels over it, the prediction over it — saved as PNG.
 *
 * @module
 */

import { encodePng } from "../training/report/png.ts";
import { atomicWriteFile } from "../core/serialize/atomic_write.ts";
import type { Volume } from "../data/volume.ts";

const CLASS_COLOURS: Array<[number, number, number]> = [
  [230, 60, 60],
  [60, 160, 240],
  [250, 200, 40],
  [120, 220, 90],
  [200, 90, 220],
];

/**
 * Renders an axial (k) slice of `image` with `reference` and `prediction` overlaid, each
 * panel scaled up by `zoom`, and returns PNG bytes.
 */
export function overlayPng(
  image: Volume,
  reference: Volume | undefined,
  prediction: Volume,
  zoom = 4,
): Uint8Array {
  const [ni, nj, nk] = image.dims;
  const plane = ni * nj;
  const source = reference ?? prediction;
  let bestK = Math.floor(nk / 2);
  let bestCount = -1;
  for (let k = 0; k < nk; k++) {
    let count = 0;
    for (let v = 0; v < plane; v++) if (source.data[k * plane + v] > 0) count++;
    if (count > bestCount) [bestK, bestCount] = [k, count];
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let v = 0; v < plane; v++) {
    const x = image.data[bestK * plane + v];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const panels = [undefined, reference, prediction];
  const width = 3 * ni * zoom + 2 * zoom;
  const height = nj * zoom;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  panels.forEach((labels, p) => {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const v = bestK * plane + j * ni + i;
        const grey = hi > lo ? Math.round((255 * (image.data[v] - lo)) / (hi - lo)) : 0;
        let colour: [number, number, number] = [grey, grey, grey];
        const cls = labels ? labels.data[v] : 0;
        if (cls > 0) {
          const c = CLASS_COLOURS[(cls - 1) % CLASS_COLOURS.length];
          colour = [0, 1, 2].map((a) => Math.round(0.45 * grey + 0.55 * c[a])) as [
            number,
            number,
            number,
          ];
        }
        for (let y = 0; y < zoom; y++) {
          // rows flipped so anterior is up in the usual radiological view of RAS data
          const row = (nj - 1 - j) * zoom + y;
          for (let x = 0; x < zoom; x++) {
            const col = p * (ni * zoom + zoom) + i * zoom + x;
            rgb.set(colour, (row * width + col) * 3);
          }
        }
      }
    }
  });
  return encodePng(width, height, rgb);
}

/** Writes {@link overlayPng} to `path` atomically. */
export async function writeOverlay(
  path: string,
  image: Volume,
  reference: Volume | undefined,
  prediction: Volume,
): Promise<void> {
  await atomicWriteFile(path, overlayPng(image, reference, prediction));
}
