/** The scipy reference values of tests/fixtures/evaluation, typed for the tests. */

type Triple = [number, number, number];

/** scipy's `distance_transform_edt(mask, sampling)` on one mask (i fastest). */
export interface DistanceTransformReference {
  dims: Triple;
  spacing: Triple;
  mask: number[];
  distances: number[];
}

/** numpy/scipy metric values of one case; absent keys were undefined there. */
export interface MetricsReference {
  dims: Triple;
  spacing: Triple;
  toleranceMm: number;
  prediction: number[];
  reference: number[];
  classes: Record<string, Record<string, number>>;
}

/** Contents of scipy_reference.json. */
export interface ScipyReference {
  distanceTransform: DistanceTransformReference[];
  metrics: MetricsReference[];
}

/** Loads the committed reference (generated once by generate_scipy_reference.py). */
export function loadScipyReference(): ScipyReference {
  const url = new URL("../fixtures/evaluation/scipy_reference.json", import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url)) as ScipyReference;
}
