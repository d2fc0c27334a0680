import { strict as assert } from "node:assert";
import {
  finiteNumber,
  numberList,
  OptionValueError,
  parseCommandLine,
  positiveInteger,
} from "../../tools/cli.ts";
import { quietly } from "./console_capture.ts";

const USAGE = "Usage: tool --data DIR [--n N] IN OUT";
const OPTIONS = {
  data: { type: "string" as const },
  n: { type: "string" as const, default: "3" },
  flag: { type: "boolean" as const },
};

Deno.test("parseCommandLine: values and positionals, help, and usage errors with exit codes", () => {
  const rules = { required: ["data" as const], positionals: 2 };
  const ok = quietly(() => parseCommandLine(["--data", "d", "a", "b"], OPTIONS, USAGE, rules));
  assert.ok(typeof ok.result !== "number");
  assert.equal(ok.result.values.data, "d");
  assert.equal(ok.result.values.n, "3");
  assert.deepEqual(ok.result.positionals, ["a", "b"]);

  const help = quietly(() => parseCommandLine(["-h"], OPTIONS, USAGE, rules));
  assert.equal(help.result, 0);
  assert.match(help.out, /Usage: tool/);

  const unknown = quietly(() => parseCommandLine(["--bogus"], OPTIONS, USAGE, rules));
  assert.equal(unknown.result, 2);
  assert.match(unknown.err, /bogus[\s\S]*Usage: tool/);

  const missing = quietly(() => parseCommandLine(["a", "b"], OPTIONS, USAGE, rules));
  assert.equal(missing.result, 2);
  assert.match(missing.err, /--data is required/);

  const positional = quietly(() => parseCommandLine(["--data", "d", "a"], OPTIONS, USAGE, rules));
  assert.equal(positional.result, 2);
  assert.match(positional.err, /expected 2 positional argument\(s\), got 1/);
});

Deno.test("number options accept what they say and name the option otherwise", () => {
  assert.equal(positiveInteger("epochs", undefined), undefined);
  assert.equal(positiveInteger("epochs", "12"), 12);
  for (const bad of ["0", "-1", "1.5", "x", ""]) {
    assert.throws(() => positiveInteger("epochs", bad), OptionValueError);
  }
  assert.equal(finiteNumber("lr", "1e-3"), 0.001);
  assert.throws(() => finiteNumber("lr", "fast"), /--lr needs a number, got "fast"/);
  assert.throws(() => finiteNumber("lr", " "), OptionValueError);
  assert.deepEqual(numberList("patch", "40,56,40", 3, true), [40, 56, 40]);
  assert.deepEqual(numberList("spacing", "0.5,1,2.5", 3), [0.5, 1, 2.5]);
  assert.throws(() => numberList("patch", "40,56", 3, true), /--patch needs 3 comma-separated/);
  assert.throws(() => numberList("patch", "40,5.5,40", 3, true), OptionValueError);
  assert.throws(() => numberList("spacing", "1,0,1", 3), OptionValueError);
});
