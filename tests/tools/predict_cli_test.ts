/** The predict CLI's option checks: bad values exit with 2 and name the option. */
import { strict as assert } from "node:assert";
import { OptionValueError } from "../../tools/cli.ts";
import { mirrorAxesOption, predictMain, stepOption } from "../../tools/predict.ts";
import { quietlyAsync as quietly } from "./console_capture.ts";

const REQUIRED = ["--model", "m.safetensors", "--input", "in", "--output", "out"];

Deno.test("predict: bad --step and --mirror-axes values exit with 2 and name the option", async () => {
  const cases: Array<[string[], string]> = [
    [["--step", "0"], "--step"],
    [["--step", "2"], "--step"],
    [["--step", "-0.5"], "--step"],
    [["--step", "half"], "--step"],
    [["--mirror-axes", "5"], "--mirror-axes"],
    [["--mirror-axes", "0,0"], "--mirror-axes"],
    [["--mirror-axes", "1.5"], "--mirror-axes"],
    [["--mirror-axes", ""], "--mirror-axes"],
    [["--mirror-axes", "0", "--no-mirror"], "--mirror-axes"],
  ];
  for (const [args, option] of cases) {
    const { result, err } = await quietly(() => predictMain([...REQUIRED, ...args]));
    assert.equal(result, 2, args.join(" "));
    assert.ok(err.includes(option), `${args.join(" ")}: ${err}`);
    assert.match(err, /Usage: deno task predict/);
  }
});

Deno.test("predict: --help lists the new options", async () => {
  const { log } = console;
  let out = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  try {
    assert.equal(await predictMain(["--help"]), 0);
  } finally {
    console.log = log;
  }
  for (const option of ["--step F", "--mirror-axes LIST", "--save-probabilities"]) {
    assert.ok(out.includes(option), option);
  }
});

Deno.test("predict: option parsers accept what the usage says", () => {
  assert.equal(stepOption(undefined), undefined);
  assert.equal(stepOption("1"), 1);
  assert.equal(stepOption("0.25"), 0.25);
  assert.throws(() => stepOption("0"), OptionValueError);
  assert.throws(() => stepOption("1.01"), /--step needs a fraction of the patch in \(0, 1\]/);
  assert.equal(mirrorAxesOption(undefined), undefined);
  assert.deepEqual(mirrorAxesOption("0,1,2"), [0, 1, 2]);
  assert.deepEqual(mirrorAxesOption("2"), [2]);
  assert.deepEqual(mirrorAxesOption("2, 0"), [2, 0]);
  assert.throws(() => mirrorAxesOption("3"), /--mirror-axes needs distinct axes/);
  assert.throws(() => mirrorAxesOption("0,,1"), OptionValueError);
});
