// PyTorch interoperability: the fixtures were written from torch tensors by
// tests/fixtures/core/make_tiny_convnet.py, which also dumped every value as JSON text.
// These tests check that the binary files load to exactly those values and that our
// writer reproduces the files byte for byte.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  bfloat16BitsToFloat32,
  encodeSafetensors,
  float16BitsToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  type HostTensor,
  readSafetensors,
} from "../../../core/serialize/mod.ts";

const FIXTURES = new URL("../../fixtures/core/", import.meta.url);
const fixturePath = (name: string) => fileURLToPath(new URL(name, FIXTURES));

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string)[];
  bits?: number[];
}
type ExpectedFiles = Record<string, Record<string, ExpectedTensor>>;

const expected: ExpectedFiles = JSON.parse(
  await Deno.readTextFile(fixturePath("tiny_convnet_expected.json")),
);

/** The JSON dump writes non-finite floats and -0 as strings. */
function jsonNumber(value: number | string): number {
  return typeof value === "number" ? value : value === "NaN" ? NaN : Number(value);
}

function assertMatchesTorch(name: string, actual: HostTensor, want: ExpectedTensor): void {
  assert.equal(actual.dtype, want.dtype, name);
  assert.deepEqual(actual.shape, want.shape, name);
  assert.equal(actual.data.length, want.values.length, name);
  switch (actual.dtype) {
    case "I64":
      assert.deepEqual([...actual.data], want.values.map((v) => BigInt(v)), name);
      return;
    case "F16":
    case "BF16": {
      assert.deepEqual([...actual.data], want.bits, name);
      const decode = actual.dtype === "F16" ? float16BitsToFloat32 : bfloat16BitsToFloat32;
      const values = [...actual.data].map(decode);
      assert.deepEqual(values, want.values.map(jsonNumber), name);
      return;
    }
    default: {
      const data = actual.data as ArrayLike<number>;
      for (let i = 0; i < data.length; i++) {
        const target = jsonNumber(want.values[i]);
        // Object.is: exact, and tells -0 from 0.
        assert.ok(Object.is(data[i], target), `${name}[${i}]: ${data[i]} !== ${target}`);
      }
    }
  }
}

for (const file of ["tiny_convnet.safetensors", "tiny_convnet_io.safetensors"]) {
  Deno.test(`${file}: every tensor loads to exactly torch's values`, async () => {
    const { tensors } = await readSafetensors(fixturePath(file));
    const want = expected[file];
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(want).sort());
    for (const [name, tensor] of tensors) assertMatchesTorch(name, tensor, want[name]);
  });

  Deno.test(`${file}: re-encoding reproduces the file byte for byte`, async () => {
    const bytes = await Deno.readFile(fixturePath(file));
    const { tensors, metadata } = await readSafetensors(fixturePath(file));
    assert.deepEqual(encodeSafetensors(tensors, metadata), bytes);
  });
}

Deno.test("the tiny conv net's state_dict is in PyTorch's layout", async () => {
  const { tensors, metadata } = await readSafetensors(fixturePath("tiny_convnet.safetensors"));
  const shapes = Object.fromEntries([...tensors].map(([name, t]) => [name, t.shape]));
  assert.deepEqual(shapes, {
    "conv1.bias": [4],
    "conv1.weight": [4, 1, 3, 3, 3],
    "conv2.bias": [2],
    "conv2.weight": [2, 4, 1, 1, 1],
    "norm.bias": [4],
    "norm.weight": [4],
  });
  assert.equal(metadata?.framework, "pt");
  const io = await readSafetensors(fixturePath("tiny_convnet_io.safetensors"));
  assert.deepEqual(io.tensors.get("input")?.shape, [1, 1, 5, 6, 7]);
  assert.deepEqual(io.tensors.get("output")?.shape, [1, 2, 5, 6, 7]);
});

Deno.test("our float16 and bfloat16 rounding gives the same bits as torch", async () => {
  const { tensors } = await readSafetensors(fixturePath("tiny_convnet_io.safetensors"));
  const f32 = (name: string) => tensors.get(name)?.data as Float32Array;
  const bits = (name: string) => tensors.get(name)?.data as Uint16Array;
  assert.deepEqual(float32ArrayToFloat16(f32("samples.f16_source")), bits("samples.f16"));
  assert.deepEqual(float32ArrayToBfloat16(f32("samples.f16_source")), bits("samples.bf16"));
  assert.deepEqual(float32ArrayToFloat16(f32("samples.random_f32")), bits("samples.random_f16"));
  assert.deepEqual(float32ArrayToBfloat16(f32("samples.random_f32")), bits("samples.random_bf16"));
});
