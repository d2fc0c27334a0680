import assert from "node:assert/strict";
import { readVolume } from "../../../data/formats/mod.ts";
import { axisCodes } from "../../../data/geometry.ts";
import { convertMain } from "../../../tools/convert.ts";
import { assertSameWorldGeometry, FIXTURES, temporaryFolder } from "./test_helpers.ts";

/** Runs the converter with console output silenced; returns exit code and printed text. */
async function quietly(args: string[]): Promise<{ code: number; printed: string }> {
  const printed: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
  console.error = console.log;
  try {
    return { code: await convertMain(args), printed: printed.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("convert: NIfTI to NRRD keeps data and geometry; --canonical reorients", async () => {
  const folder = await temporaryFolder();
  try {
    const input = FIXTURES + "qform_only_uint16.nii.gz";
    const output = `${folder.path}/out.nrrd`;
    const { code, printed } = await quietly([input, output]);
    assert.equal(code, 0, printed);
    assert.match(printed, /5×4×3, 1 channel\(s\), uint16/);
    const [before, after] = [await readVolume(input), await readVolume(output)];
    assert.deepEqual(Array.from(after.data), Array.from(before.data));
    assertSameWorldGeometry(before, after, 1e-9);

    const canonical = `${folder.path}/ras.mha`;
    assert.equal((await quietly(["--canonical", input, canonical])).code, 0);
    assert.equal(axisCodes((await readVolume(canonical)).affine), "RAS");
  } finally {
    await folder.remove();
  }
});

Deno.test("convert: help, bad usage and bad input give the right exit codes", async () => {
  const help = await quietly(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.printed, /Usage: deno task convert/);
  assert.equal((await quietly(["only-one.nii"])).code, 2);
  assert.equal((await quietly(["--bogus", "a.nii", "b.nii"])).code, 2);
  assert.equal((await quietly(["--non-finite", "maybe", "a.nii", "b.nii"])).code, 2);
  const folder = await temporaryFolder();
  try {
    const output = `${folder.path}/out.nii`;
    const nan = await quietly([FIXTURES + "non_finite_float32.nii", output]);
    assert.equal(nan.code, 1);
    assert.match(nan.printed, /non_finite_float32\.nii: 2 voxel\(s\) are NaN/);
    await assert.rejects(Deno.stat(output), Deno.errors.NotFound);
    assert.equal(
      (await quietly(["--non-finite", "zero", FIXTURES + "non_finite_float32.nii", output])).code,
      0,
    );
    assert.equal((await quietly([FIXTURES + "rgb24.nii", `${folder.path}/x.png`])).code, 1);
  } finally {
    await folder.remove();
  }
});
