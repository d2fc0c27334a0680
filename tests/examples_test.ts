/** The examples run end to end for a few iterations (they must not rot). */
import { strict as assert } from "node:assert";

/** Runs `examples/<name>` with `args` in a fresh folder; returns its combined output. */
async function runExample(name: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../examples/${name}`, import.meta.url).pathname, ...args],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.ok(output.success, text);
  return text;
}

Deno.test("examples/custom_network.ts trains and validates a custom network", async () => {
  assert.match(
    await runExample("custom_network.ts", ["1", "3"]),
    /mean foreground Dice: \d\.\d{3}/,
  );
});

Deno.test("examples/vnet_experiment.ts trains and validates a V-Net fold", async () => {
  assert.match(
    await runExample("vnet_experiment.ts", ["1", "2"]),
    /V-Net mean foreground Dice: \d\.\d{3}/,
  );
});

Deno.test("examples/unetr_experiment.ts trains and validates a UNETR fold", async () => {
  assert.match(await runExample("unetr_experiment.ts", ["1", "2"]), /Dice/);
});
