import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { writeVolume } from "../../../data/formats/mod.ts";
import { identityAffine } from "../../../data/geometry.ts";
import { BackgroundLoader, CaseLoadError, transferablesOf } from "../../../data/loading/mod.ts";

const dir = await Deno.makeTempDir({ prefix: "mipcandy_loader_" });
Deno.env.set("MIPCANDY_LOADER_TEST_DIR", dir);
const ids = ["c0", "c1", "c2", "c3", "c4"];
for (const [k, id] of ids.entries()) {
  const dims: [number, number, number] = [3 + k, 4, 5];
  const data = Float32Array.from({ length: dims[0] * 20 }, (_, i) => k * 1000 + i);
  await writeVolume(`${dir}/${id}.nii.gz`, {
    data,
    dims,
    channels: 1,
    affine: identityAffine(),
    meta: {},
  });
}
const module = new URL("./fixture_loader.ts", import.meta.url);

type Loaded = { id: string; data: Float32Array; dims: number[] };

Deno.test({
  name: "BackgroundLoader returns every case, in order, from .nii.gz files",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    using loader = new BackgroundLoader<Loaded>({ module, workers: 2, prefetch: 3 });
    const seen: Loaded[] = [];
    for await (const item of loader.load([...ids, "c1"])) seen.push(item);
    deepEqual(seen.map((s) => s.id), [...ids, "c1"]);
    seen.forEach((s, i) => {
      const k = i === 5 ? 1 : i;
      deepEqual(s.dims, [3 + k, 4, 5]);
      ok(s.data instanceof Float32Array);
      equal(s.data[7], k * 1000 + 7);
    });
  },
});

Deno.test({
  name: "BackgroundLoader surfaces a worker error with the case id and keeps working",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    using loader = new BackgroundLoader<Loaded>({ module, workers: 1 });
    const got: string[] = [];
    const error = await rejects(async () => {
      for await (const item of loader.load(["c0", "missing_case", "c2"])) got.push(item.id);
    }, (e: unknown) => {
      ok(e instanceof CaseLoadError);
      equal(e.caseId, "missing_case");
      ok(e.message.includes("missing_case"), e.message);
      return true;
    });
    equal(error, undefined);
    deepEqual(got, ["c0"]);
    equal((await loader.loadOne("c3")).id, "c3");
  },
});

Deno.test("transferablesOf finds each buffer once", () => {
  const a = new Float32Array(4);
  const value = { a, b: [new Int32Array(a.buffer)], c: new Map([["x", new Uint8Array(2)]]) };
  equal(transferablesOf(value).length, 2);
});

Deno.test({
  name: "cleanup loader fixtures",
  fn: async () => await Deno.remove(dir, { recursive: true }),
});
