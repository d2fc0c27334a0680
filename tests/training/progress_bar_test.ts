import assert from "node:assert/strict";
import { formatClock, formatRate, ProgressBar } from "../../training/progress_bar.ts";

function fakeTerminal() {
  let time = 0;
  const output: string[] = [];
  return {
    output,
    advance: (ms: number) => (time += ms),
    options: { now: () => time, write: (text: string) => void output.push(text) },
  };
}

Deno.test("formatClock and formatRate", () => {
  assert.equal(formatClock(5), "00:05");
  assert.equal(formatClock(125.4), "02:05");
  assert.equal(formatClock(3723), "1:02:03");
  assert.equal(formatClock(NaN), "?");
  assert.equal(formatRate(25), "25.00 it/s");
  assert.equal(formatRate(0.5, "batch"), "2.00 s/batch");
  assert.equal(formatRate(0), "? it/s");
});

Deno.test("interactive mode redraws one line in place with rate, ETA and suffix", () => {
  const terminal = fakeTerminal();
  const bar = new ProgressBar(100, {
    ...terminal.options,
    label: "train",
    barWidth: 10,
    interactive: true,
    columns: 200,
  });
  terminal.advance(2000);
  bar.update(50, "loss 0.500");
  assert.deepEqual(terminal.output, [
    "\rtrain  50% |█████     | 50/100 [00:02<00:02, 25.00 it/s] loss 0.500\x1b[K",
  ]);
  terminal.advance(50);
  bar.tick(5);
  assert.equal(terminal.output.length, 1, "redraws are throttled to one per 100 ms");
  terminal.advance(50);
  bar.tick(0);
  assert.equal(
    terminal.output[1],
    "\rtrain  55% |█████▌    | 55/100 [00:02<00:02, 26.19 it/s] loss 0.500\x1b[K",
  );
  terminal.advance(1900);
  bar.update(100);
  bar.finish("done");
  assert.equal(
    terminal.output.at(-1),
    "\rtrain 100% |██████████| 100/100 [00:04<00:00, 25.00 it/s] done\x1b[K\n",
  );
  const narrow = fakeTerminal();
  const cut = new ProgressBar(10, { ...narrow.options, interactive: true, columns: 20 });
  cut.tick(1, "a very long suffix that would wrap");
  assert.equal(narrow.output[0], "\r 10% |██▍" + " ".repeat(10) + "\x1b[K");
});

Deno.test("quiet mode prints plain lines every 10 % or every N seconds, never twice at the end", () => {
  const fast = fakeTerminal();
  const bar = new ProgressBar(100, { ...fast.options, interactive: false, label: "val" });
  for (let item = 0; item < 100; item++) {
    fast.advance(100);
    bar.tick();
  }
  bar.finish();
  assert.equal(fast.output.length, 10);
  assert.equal(fast.output[0], "val  10% 10/100 [00:01<00:09, 10.00 it/s]\n");
  assert.equal(fast.output[9], "val 100% 100/100 [00:10<00:00, 10.00 it/s]\n");
  assert.ok(fast.output.every((line) => !line.includes("\r")));

  const slow = fakeTerminal();
  const slowBar = new ProgressBar(1000, {
    ...slow.options,
    interactive: false,
    quietIntervalSeconds: 30,
    quietPercentStep: 50,
  });
  for (let item = 0; item < 10; item++) {
    slow.advance(10_000);
    slowBar.tick(1, `loss ${item}`);
  }
  // 100 s, 10 items: lines at 30 s, 60 s and 90 s only.
  assert.deepEqual(slow.output.map((line) => line.split(" [")[0]), [
    "  0% 3/1000",
    "  1% 6/1000",
    "  1% 9/1000",
  ]);
  assert.equal(slow.output[0], "  0% 3/1000 [00:30<2:46:10, 10.00 s/it] loss 2\n");
  slowBar.finish();
  assert.equal(slow.output.length, 4, "finishing prints the last state");
});
