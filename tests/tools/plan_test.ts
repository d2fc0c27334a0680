/** `deno task plan`: a help text with every option, and a one-line error for a bad path. */
import { strict as assert } from "node:assert";
import { planMain } from "../../tools/plan.ts";
import { quietlyAsync as quietly } from "./console_capture.ts";

Deno.test("plan --help describes every option and exits 0", async () => {
  const help = await quietly(() => planMain(["--help"]));
  assert.equal(help.result, 0);
  for (
    const option of ["--data", "--out", "--base-features", "--max-features", "--max-patch-voxels"]
  ) {
    // Each option on its own line, followed by a description.
    assert.match(help.out, new RegExp(`^  ${option}( \\S+)? +\\S`, "m"), option);
  }
  assert.match(help.out, /-h, --help/);
});

Deno.test("plan on a missing dataset folder: one line naming the path, exit 1", async () => {
  const root = await Deno.makeTempDir();
  const missing = `${root}/no_such_dataset`;
  const run = await quietly(() => planMain(["--data", missing, "--out", `${root}/runs`]));
  assert.equal(run.result, 1);
  assert.equal(run.err.trim(), `plan: ${missing}: does not exist. check the dataset path`);
  assert.equal(await quietly(() => planMain([])).then((r) => r.result), 2);
});
