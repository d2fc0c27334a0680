/** The examples run end to end for a few iterations (they must not rot). */
import { strict as assert } from "node:assert";

Deno.test("examples/custom_network.ts trains and validates a custom network", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../examples/custom_network.ts", import.meta.url).pathname,
      "1",
      "3",
    ],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.ok(output.success, text);
  assert.match(text, /mean foreground Dice: \d\.\d{3}/);
});

Deno.test("examples/vnet_experiment.ts trains and validates a V-Net fold", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../examples/vnet_experiment.ts", import.meta.url).pathname,
      "1",
      "2",
    ],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.ok(output.success, text);
  assert.match(text, /V-Net mean foreground Dice: \d\.\d{3}/);
});

Deno.test("examples/unetr_experiment.ts trains and validates a UNETR fold", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../examples/unetr_experiment.ts", import.meta.url).pathname,
      "1",
      "2",
    ],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.ok(output.success, text);
  assert.match(text, /Dice/);
});
