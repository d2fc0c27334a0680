import assert from "node:assert/strict";
import { trainMain } from "../../tools/train.ts";
import { setupGpu } from "../helpers.ts";
import { quietlyAsync } from "./console_capture.ts";

/** Runs `trainMain` and returns its exit code with what it wrote to the console. */
async function run(args: string[]): Promise<{ code: number; output: string }> {
  const { result, out, err } = await quietlyAsync(() => trainMain(args));
  return { code: result, output: out + err };
}

Deno.test("train --help lists early stopping and tracker options", async () => {
  const { code, output } = await run(["--help"]);
  assert.equal(code, 0);
  for (const option of ["--patience", "--min-delta", "--local-only", "--quiet", "--continue"]) {
    assert.ok(output.includes(option), option);
  }
});

Deno.test("train: bad early-stopping values exit 2 naming the option", async () => {
  for (
    const [args, name] of [
      [["--patience", "0"], "--patience"],
      [["--patience", "1.5"], "--patience"],
      [["--min-delta", "-0.1"], "--min-delta"],
      [["--min-delta", "x"], "--min-delta"],
      [["--fold", "-1"], "--fold"],
    ] as const
  ) {
    const { code, output } = await run(["--data", "nowhere", ...args]);
    assert.equal(code, 2, args.join(" "));
    assert.ok(output.includes(name), output);
  }
});

Deno.test("train: a missing dataset exits 1 with one message and leaves no experiment folder", async () => {
  await setupGpu();
  const out = await Deno.makeTempDir();
  try {
    const missing = `${out}/no-such-dataset`;
    const { code, output } = await run(["--data", missing, "--out", `${out}/runs`, "--quiet"]);
    assert.equal(code, 1);
    assert.match(output, /train: .*no-such-dataset/);
    const made = await Deno.stat(`${out}/runs/no-such-dataset/unet/fold_0`).then(
      () => true,
      () => false,
    );
    assert.equal(made, false, "no empty experiment folder");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
