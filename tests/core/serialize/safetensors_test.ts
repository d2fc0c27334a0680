import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsHeader,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  SafetensorsFormatError,
  shapeSize,
  writeSafetensors,
} from "../../../core/serialize/mod.ts";

/** A tensor of `dtype` and `shape` filled with distinct, dtype-typical values. */
function sampleTensor(dtype: SafetensorsDType, shape: number[], seed = 1): HostTensor {
  const n = shapeSize(shape);
  const f = (i: number) => Math.sin(i * 12.9898 + seed) * 1000;
  switch (dtype) {
    case "F64":
      return { dtype, shape, data: Float64Array.from({ length: n }, (_, i) => f(i) / 7) };
    case "F32":
      return { dtype, shape, data: Float32Array.from({ length: n }, (_, i) => f(i) / 7) };
    case "F16":
    case "BF16":
    case "U16":
      return { dtype, shape, data: Uint16Array.from({ length: n }, (_, i) => (i * 7919 + seed)) };
    case "I64":
      return {
        dtype,
        shape,
        data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i - 3) * 3_000_000_000_007n),
      };
    case "U64":
      return {
        dtype,
        shape,
        data: BigUint64Array.from({ length: n }, (_, i) => 2n ** 63n + BigInt(i)),
      };
    case "I32":
      return {
        dtype,
        shape,
        data: Int32Array.from({ length: n }, (_, i) => (i - 2) * 100_000_007),
      };
    case "U32":
      return { dtype, shape, data: Uint32Array.from({ length: n }, (_, i) => 4_000_000_000 + i) };
    case "I16":
      return { dtype, shape, data: Int16Array.from({ length: n }, (_, i) => (i - 5) * 3001) };
    case "I8":
      return { dtype, shape, data: Int8Array.from({ length: n }, (_, i) => (i * 37) - 128) };
    case "U8":
      return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255) };
    case "BOOL":
      return {
        dtype,
        shape,
        data: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      };
  }
}

function assertSameTensor(actual: HostTensor | undefined, expected: HostTensor, label: string) {
  assert.ok(actual, `${label} missing`);
  assert.equal(actual.dtype, expected.dtype, label);
  assert.deepEqual(actual.shape, expected.shape, label);
  assert.equal(actual.data.constructor, expected.data.constructor, label);
  assert.deepEqual(actual.data, expected.data, label);
}

const headerText = (bytes: Uint8Array): string => {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
};

Deno.test("every dtype round-trips through encode and decode, bit for bit", () => {
  for (const dtype of SAFETENSORS_DTYPES) {
    const tensor = sampleTensor(dtype, [2, 3, 5]);
    const decoded = decodeSafetensors(encodeSafetensors({ t: tensor }));
    assertSameTensor(decoded.tensors.get("t"), tensor, dtype);
  }
});

Deno.test("odd shapes, zero-size tensors and scalars round-trip together", () => {
  const tensors: Record<string, HostTensor> = {};
  const shapes = [[], [1], [7], [3, 1, 5], [1, 1, 1, 1, 1, 1], [0], [4, 0, 2], [2, 3, 5, 7]];
  for (const dtype of SAFETENSORS_DTYPES) {
    shapes.forEach((shape, i) => tensors[`${dtype}.${i}`] = sampleTensor(dtype, shape, i));
  }
  const decoded = decodeSafetensors(encodeSafetensors(tensors));
  assert.equal(decoded.tensors.size, Object.keys(tensors).length);
  for (const [name, tensor] of Object.entries(tensors)) {
    assertSameTensor(decoded.tensors.get(name), tensor, name);
  }
  assert.equal(decoded.tensors.get("F32.0")?.data.length, 1);
  assert.equal(decoded.tensors.get("F32.6")?.data.length, 0);
  assert.equal(decoded.metadata, undefined);
});

Deno.test("the header matches the reference layout byte for byte", () => {
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  const bytes = encodeSafetensors({ "attn.0": { dtype: "F32", shape: [1, 2, 3], data } });
  const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(json.length, 64); // already a multiple of 8: no padding
  assert.equal(headerText(bytes), json);
  assert.deepEqual(bytes.subarray(0, 8), new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(new Float32Array(bytes.slice(72).buffer), data);

  const shorter = encodeSafetensors({ attn0: { dtype: "F32", shape: [1, 1, 2, 3], data } });
  const text = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
  assert.equal(headerText(shorter), text + " ".repeat(72 - text.length));

  const empty = encodeSafetensors({});
  assert.deepEqual(
    empty,
    new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]),
  );
  assert.equal(
    headerText(encodeSafetensors({}, { framework: "pt" })),
    '{"__metadata__":{"framework":"pt"}}     ',
  );
});

Deno.test("data is ordered by descending dtype alignment, then by name, and stays aligned", () => {
  const tensors = {
    "b.mask": sampleTensor("BOOL", [3]),
    "a.half": sampleTensor("F16", [3]),
    "z.weight": sampleTensor("F32", [3]),
    "a.weight": sampleTensor("F32", [2]),
    "step": sampleTensor("I64", [1]),
    "x.double": sampleTensor("F64", [1]),
    "B.upper": sampleTensor("F32", [1]), // uppercase sorts before lowercase (byte order)
  };
  const header = parseSafetensorsHeader(encodeSafetensors(tensors));
  const order = header.entries.map((entry) => entry.name);
  assert.deepEqual(order, [
    "step",
    "x.double",
    "B.upper",
    "a.weight",
    "z.weight",
    "a.half",
    "b.mask",
  ]);
  for (const entry of header.entries) {
    const itemSize = entry.dtype === "I64" || entry.dtype === "F64" ? 8 : 4;
    if (entry.dtype !== "F16" && entry.dtype !== "BOOL") {
      assert.equal((8 + header.headerByteLength + entry.dataOffsets[0]) % itemSize, 0);
    }
  }
});

Deno.test("encoding is independent of insertion order and accepts a Map", () => {
  const a = sampleTensor("F32", [2, 2]);
  const b = sampleTensor("I32", [3]);
  const fromRecord = encodeSafetensors({ a, b }, { z: "1", a: "2" });
  const fromMap = encodeSafetensors(new Map([["b", b], ["a", a]]), { a: "2", z: "1" });
  assert.deepEqual(fromRecord, fromMap);
});

Deno.test("metadata round-trips, including unusual keys and text", () => {
  const metadata = {
    format: "pt",
    ["__proto__"]: "kept",
    note: 'quote " backslash \\ ü 🧠\n',
    "": "",
  };
  assert.ok(Object.hasOwn(metadata, "__proto__")); // computed key: an own entry
  const bytes = encodeSafetensors({ w: sampleTensor("F32", [1]) }, metadata);
  const decoded = decodeSafetensors(bytes);
  assert.deepEqual(Object.entries(decoded.metadata ?? {}).sort(), Object.entries(metadata).sort());
  assert.equal(Object.getPrototypeOf(decoded.metadata), Object.prototype);
  const emptyMetadata = decodeSafetensors(encodeSafetensors({}, {}));
  assert.deepEqual(emptyMetadata.metadata, {});
  assert.equal(emptyMetadata.tensors.size, 0);
});

Deno.test("tensor names with special characters survive", () => {
  const names = [
    "__proto__",
    "constructor",
    "0",
    "10",
    "2",
    "ü.weight",
    'a"b',
    "a\\b",
    "space name",
  ];
  const tensors = new Map(names.map((name, i) => [name, sampleTensor("F32", [i])]));
  const decoded = decodeSafetensors(encodeSafetensors(tensors));
  for (const [name, tensor] of tensors) assertSameTensor(decoded.tensors.get(name), tensor, name);
});

Deno.test("subarray views encode only their own elements", () => {
  const backing = new Float32Array([9, 9, 1, 2, 3, 9]);
  const view = backing.subarray(2, 5);
  const decoded = decodeSafetensors(
    encodeSafetensors({ v: { dtype: "F32", shape: [3], data: view } }),
  );
  assert.deepEqual(decoded.tensors.get("v")?.data, new Float32Array([1, 2, 3]));
});

Deno.test("data at unaligned offsets, in a buffer at an odd byte offset, decodes correctly", () => {
  // A hand-made file whose header is not padded: the F64 data starts at byte 8 + 61.
  const text = '{"u":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"d":{"dtype":"F64",';
  const header = text + '"shape":[2],"data_offsets":[3,19]}}';
  const headerBytes = new TextEncoder().encode(header);
  const file = new Uint8Array(8 + headerBytes.length + 19);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  file.set([1, 2, 3], 8 + headerBytes.length);
  const doubles = new Float64Array([Math.PI, -1e-300]);
  file.set(new Uint8Array(doubles.buffer), 8 + headerBytes.length + 3);
  // Place the whole file at an odd offset inside a larger buffer as well.
  const outer = new Uint8Array(file.length + 1);
  outer.set(file, 1);
  const decoded = decodeSafetensors(outer.subarray(1));
  assert.deepEqual(decoded.tensors.get("d")?.data, doubles);
  assert.deepEqual(decoded.tensors.get("u")?.data, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...decoded.tensors.keys()], ["u", "d"]); // file order
});

Deno.test("decoded tensors own their data", () => {
  const bytes = encodeSafetensors({ w: sampleTensor("F32", [4]) });
  const decoded = decodeSafetensors(bytes);
  bytes.fill(0);
  assert.deepEqual(decoded.tensors.get("w")?.data, sampleTensor("F32", [4]).data);
});

Deno.test("writeSafetensors and readSafetensors round-trip through a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/model.safetensors`;
    const tensors = { w: sampleTensor("F32", [2, 3]), step: sampleTensor("I64", []) };
    await writeSafetensors(path, tensors, { epoch: "12" });
    const read = await readSafetensors(path);
    assertSameTensor(read.tensors.get("w"), tensors.w, "w");
    assertSameTensor(read.tensors.get("step"), tensors.step, "step");
    assert.deepEqual(read.metadata, { epoch: "12" });
    const header = await readSafetensorsHeader(path);
    assert.deepEqual(header.entries.map((e) => [e.name, e.dtype, e.shape]), [
      ["step", "I64", []],
      ["w", "F32", [2, 3]],
    ]);
    assert.deepEqual(header.metadata, { epoch: "12" });
    // Only the target file is left: the temporary file was renamed over it.
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["model.safetensors"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed encode writes nothing and keeps the previous file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/model.safetensors`;
    await writeSafetensors(path, { w: sampleTensor("F32", [2]) });
    const before = await Deno.readFile(path);
    const bad = { w: { dtype: "F32", shape: [3], data: new Float32Array(2) } } as const;
    await assert.rejects(
      () => writeSafetensors(path, bad as unknown as Record<string, HostTensor>),
      (error: unknown) => error instanceof SafetensorsFormatError && error.source === path,
    );
    assert.deepEqual(await Deno.readFile(path), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encoding rejects tensors the format cannot hold", () => {
  const reject = (tensors: Record<string, unknown>, pattern: RegExp, metadata?: object) =>
    assert.throws(
      () =>
        encodeSafetensors(
          tensors as Record<string, HostTensor>,
          metadata as Record<string, string> | undefined,
        ),
      (error: unknown) => error instanceof SafetensorsFormatError && pattern.test(error.message),
    );
  reject(
    { w: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } },
    /needs 4 elements, data has 3/,
  );
  reject(
    { w: { dtype: "F16", shape: [1], data: new Float32Array(1) } },
    /F16 must be carried by a Uint16Array/,
  );
  reject(
    { w: { dtype: "I64", shape: [1], data: new Int32Array(1) } },
    /BigInt64Array, got Int32Array/,
  );
  reject(
    { w: { dtype: "F8_E4M3", shape: [1], data: new Uint8Array(1) } },
    /unsupported dtype "F8_E4M3"/,
  );
  reject({ w: { dtype: "F32", shape: [-1], data: new Float32Array(0) } }, /non-negative integers/);
  reject({ w: { dtype: "F32", shape: [1.5], data: new Float32Array(1) } }, /non-negative integers/);
  reject({ w: { dtype: "BOOL", shape: [2], data: new Uint8Array([1, 2]) } }, /only 0 and 1/);
  reject({ __metadata__: sampleTensor("F32", [1]) }, /reserved/);
  reject({}, /metadata value for "epoch" must be a string/, { epoch: 3 });
});
