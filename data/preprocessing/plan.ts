/**
 * The preprocessing plan: every setting that decides what a preprocessed case looks like.
 * It is plain JSON so that it can be stored, compared and hashed to key the on-disk cache.
 *
 * @module
 */

import type { Vec3 } from "../geometry.ts";
import { boxSize } from "../inspection/bounding_box.ts";
import type { DatasetFingerprint } from "../inspection/fingerprint.ts";
import { median } from "../inspection/statistics.ts";
import type { NormalizationScheme } from "./normalization.ts";
import type { ImageInterpolation, LabelInterpolation } from "./resample.ts";

/** Settings of {@link preprocessCase}; applied as crop → normalise → resample. */
export interface PreprocessingPlan {
  /** Plan format version. */
  version: 1;
  /** Crop each case to the box of voxels nonzero in any channel. */
  cropToNonzero: boolean;
  /** Voxel size to resample to (mm along i, j, k); `null` keeps each case's own. */
  targetSpacing: Vec3 | null;
  /** Interpolation of image intensities. */
  imageInterpolation: ImageInterpolation;
  /** Resampling of label maps. */
  labelInterpolation: LabelInterpolation;
  /** Normalisation per channel (one entry applies to all channels). */
  normalization: NormalizationScheme[];
}

/** Intensity handling per channel for {@link planFromFingerprint}. */
export type IntensityKind = "zscore" | "ct" | "rescale" | "none";

/** Choices {@link planFromFingerprint} leaves to the caller. */
export interface PlanOptions {
  /**
   * Scheme kind per channel (or one for all). Default: `"ct"` for channels named CT,
   * z-score for everything else, as nnU-Net chooses.
   */
  intensity?: IntensityKind | IntensityKind[];
  /** Channel names (e.g. from `Dataset.channelNames`) used for the default above. */
  channelNames?: readonly string[];
  /** Override of the target spacing (default: the fingerprint's median spacing). */
  targetSpacing?: Vec3 | null;
  /** Image interpolation (default `"linear"`). */
  imageInterpolation?: ImageInterpolation;
  /** Label resampling (default `"linear-argmax"`). */
  labelInterpolation?: LabelInterpolation;
  /** Crop to nonzero (default true). */
  cropToNonzero?: boolean;
}

/**
 * Derives a plan from a dataset fingerprint: median spacing as target, nnU-Net's
 * normalisation choice per channel, and z-score over the nonzero region only when cropping
 * removes at least a quarter of a typical case (nnU-Net's rule for `use_mask_for_norm`).
 *
 * @example
 * ```ts ignore
 * import { planFromFingerprint } from "./plan.ts";
 * const plan = planFromFingerprint(fingerprint, { channelNames: dataset.channelNames });
 * ```
 */
export function planFromFingerprint(
  fingerprint: DatasetFingerprint,
  options: PlanOptions = {},
): PreprocessingPlan {
  const channels = fingerprint.cases[0]?.channels ?? 1;
  const cropToNonzero = options.cropToNonzero ?? true;
  const keptFraction = median(fingerprint.cases.map((c) => {
    const kept = boxSize(c.nonzeroBox);
    return (kept[0] * kept[1] * kept[2]) / (c.dims[0] * c.dims[1] * c.dims[2]);
  }));
  const region = cropToNonzero && keptFraction < 0.75 ? "nonzero" : "all";
  const normalization = Array.from({ length: channels }, (_, channel): NormalizationScheme => {
    const requested = options.intensity;
    const kind = Array.isArray(requested)
      ? requested[channel] ?? "zscore"
      : requested ?? (options.channelNames?.[channel]?.toUpperCase() === "CT" ? "ct" : "zscore");
    switch (kind) {
      case "ct": {
        const stats = fingerprint.foregroundIntensity[channel];
        return {
          kind: "ct",
          mean: stats.mean,
          std: stats.std,
          lower: stats.percentile00_5,
          upper: stats.percentile99_5,
        };
      }
      case "zscore":
        return { kind: "zscore", region };
      default:
        return { kind };
    }
  });
  return {
    version: 1,
    cropToNonzero,
    targetSpacing: options.targetSpacing === undefined
      ? fingerprint.medianSpacing
      : options.targetSpacing,
    imageInterpolation: options.imageInterpolation ?? "linear",
    labelInterpolation: options.labelInterpolation ?? "linear-argmax",
    normalization,
  };
}

/** JSON text with object keys sorted, so equal plans always give equal text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Hex SHA-256 of a plan's stable JSON: the cache key. */
export async function planHash(plan: PreprocessingPlan): Promise<string> {
  const bytes = new TextEncoder().encode(stableJson(plan));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
