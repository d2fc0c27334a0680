import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  SafetensorsFormatError,
} from "../../../core/serialize/mod.ts";

/** Builds file bytes from raw header text and a data section, optionally lying about length. */
function rawFile(header: string, dataLength: number, declaredHeaderLength?: bigint): Uint8Array {
  const headerBytes = new TextEncoder().encode(header);
  const file = new Uint8Array(8 + headerBytes.length + dataLength);
  const declared = declaredHeaderLength ?? BigInt(headerBytes.length);
  new DataView(file.buffer).setBigUint64(0, declared, true);
  file.set(headerBytes, 8);
  return file;
}

function entry(dtype: unknown, shape: unknown, offsets: unknown): string {
  return JSON.stringify({ dtype, shape, data_offsets: offsets });
}

function assertRejected(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeSafetensors(bytes, "broken.safetensors"),
    (error: unknown) => {
      assert.ok(error instanceof SafetensorsFormatError, `wrong error type: ${error}`);
      assert.equal(error.source, "broken.safetensors");
      assert.ok(error.message.startsWith("broken.safetensors: "), error.message);
      assert.match(error.problem, pattern);
      return true;
    },
  );
}

Deno.test("files shorter than the length field are rejected", () => {
  assertRejected(new Uint8Array(0), /only 0 bytes long/);
  assertRejected(new Uint8Array(5), /only 5 bytes long, shorter than the 8-byte header length/);
});

Deno.test("a header length beyond the file or beyond the limit is rejected", () => {
  assertRejected(rawFile("{}", 0, 9n), /header length 9 runs past the end of the file/);
  assertRejected(rawFile("{}", 0, 2n ** 64n - 1n), /exceeds the 100000000-byte limit/);
  assertRejected(rawFile("{}", 0, 100_000_001n), /exceeds/);
});

Deno.test("headers that are not UTF-8 JSON objects are rejected", () => {
  const invalidUtf8 = rawFile("{}", 0);
  invalidUtf8[8] = 0xff;
  assertRejected(invalidUtf8, /not valid UTF-8/);
  assertRejected(rawFile('{"a":', 0), /not valid JSON/);
  assertRejected(rawFile("{}\0\0", 0), /not valid JSON/); // padding must be spaces
  assertRejected(rawFile("[]", 0), /must be a JSON object/);
  assertRejected(rawFile("null", 0), /must be a JSON object/);
  assertRejected(rawFile("7", 0), /must be a JSON object/);
  assertRejected(rawFile("", 0), /not valid JSON/);
});

Deno.test("unknown or malformed dtypes are rejected, naming the tensor", () => {
  assertRejected(
    rawFile(`{"w":${entry("F8_E4M3", [1], [0, 1])}}`, 1),
    /tensor "w": unknown or unsupported dtype "F8_E4M3" \(supported: BOOL, U8, I8/,
  );
  assertRejected(
    rawFile(`{"w":${entry("float32", [1], [0, 4])}}`, 4),
    /unsupported dtype "float32"/,
  );
  assertRejected(
    rawFile(`{"w":${entry(32, [1], [0, 4])}}`, 4),
    /"dtype" is missing or not a string/,
  );
  assertRejected(rawFile('{"w":{"shape":[1],"data_offsets":[0,4]}}', 4), /"dtype" is missing/);
  assertRejected(rawFile('{"w":[1,2]}', 0), /tensor "w": entry must be an object/);
});

Deno.test("malformed shapes and offsets are rejected", () => {
  assertRejected(rawFile(`{"w":${entry("F32", [-1], [0, 0])}}`, 0), /"shape" must be a list/);
  assertRejected(rawFile(`{"w":${entry("F32", [1.5], [0, 4])}}`, 4), /"shape" must be a list/);
  assertRejected(rawFile(`{"w":${entry("F32", "2", [0, 8])}}`, 8), /"shape" must be a list/);
  assertRejected(
    rawFile(`{"w":${entry("F32", [1], [0])}}`, 4),
    /"data_offsets" must be \[begin, end\]/,
  );
  assertRejected(rawFile(`{"w":${entry("F32", [1], [4, 0])}}`, 4), /"data_offsets" must be/);
  assertRejected(rawFile(`{"w":${entry("F32", [1], [-4, 0])}}`, 4), /"data_offsets" must be/);
  assertRejected(rawFile(`{"w":${entry("F32", [1], null)}}`, 4), /"data_offsets" must be/);
  assertRejected(
    rawFile(`{"w":${entry("F64", [2 ** 30, 2 ** 30], [0, 8])}}`, 8),
    /shape \[1073741824,1073741824\] is too large/,
  );
});

Deno.test("a shape that disagrees with the byte range is rejected", () => {
  assertRejected(
    rawFile(`{"w":${entry("F32", [2, 3], [0, 20])}}`, 20),
    /tensor "w": shape \[2,3\] of F32 needs 24 bytes, but data_offsets \[0, 20\] span 20/,
  );
  assertRejected(rawFile(`{"s":${entry("F16", [], [0, 4])}}`, 4), /needs 2 bytes/);
});

Deno.test("offsets outside the data section, overlaps, gaps and leftovers are rejected", () => {
  assertRejected(
    rawFile(`{"w":${entry("F32", [4], [0, 16])}}`, 12),
    /tensor "w": data_offsets end at 16, past the end of the 12-byte data section/,
  );
  assertRejected(
    rawFile(`{"a":${entry("F32", [2], [0, 8])},"b":${entry("F32", [2], [4, 12])}}`, 12),
    /tensor "b" \[4, 12\] overlaps tensor "a" \[0, 8\]/,
  );
  assertRejected(
    rawFile(`{"a":${entry("F32", [1], [0, 4])},"b":${entry("F32", [1], [0, 4])}}`, 4),
    /overlaps/,
  );
  assertRejected(
    rawFile(`{"a":${entry("F32", [1], [0, 4])},"b":${entry("F32", [1], [8, 12])}}`, 12),
    /4 unused bytes before tensor "b" \[8, 12\]/,
  );
  assertRejected(
    rawFile(`{"a":${entry("U8", [2], [2, 4])}}`, 4),
    /2 unused bytes before tensor "a"/,
  );
  assertRejected(
    rawFile(`{"a":${entry("U8", [2], [0, 2])}}`, 5),
    /3 bytes after the last tensor are not described by the header/,
  );
  assertRejected(rawFile("{}", 1), /1 bytes after the last tensor/);
  // A zero-size tensor may sit at a boundary but not inside another tensor.
  assert.equal(
    decodeSafetensors(
      rawFile(`{"a":${entry("U8", [2], [0, 2])},"e":${entry("F32", [0], [2, 2])}}`, 2),
    )
      .tensors.size,
    2,
  );
  assertRejected(
    rawFile(`{"a":${entry("U8", [2], [0, 2])},"e":${entry("F32", [0], [1, 1])}}`, 2),
    /overlaps/,
  );
});

Deno.test("malformed metadata is rejected", () => {
  assertRejected(rawFile('{"__metadata__":["x"]}', 0), /__metadata__ must be an object of strings/);
  assertRejected(rawFile('{"__metadata__":{"epoch":3}}', 0), /value for "epoch" is not a string/);
});

Deno.test("a truncated real file is rejected with the truncation named", () => {
  const bytes = encodeSafetensors({ w: { dtype: "F32", shape: [8], data: new Float32Array(8) } });
  assertRejected(bytes.subarray(0, bytes.length - 3), /past the end of the 29-byte data section/);
  assertRejected(bytes.subarray(0, 20), /runs past the end of the file/);
});

Deno.test("errors from files name the path; header-only reads validate too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/cut.safetensors`;
    const bytes = encodeSafetensors({ w: { dtype: "F32", shape: [8], data: new Float32Array(8) } });
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 4));
    for (const read of [readSafetensors, readSafetensorsHeader]) {
      await assert.rejects(() => read(path), (error: unknown) => {
        assert.ok(error instanceof SafetensorsFormatError);
        assert.match(error.message, new RegExp(`^${path}: tensor "w": data_offsets end at 32`));
        return true;
      });
    }
    await Deno.writeFile(path, rawFile("{}", 0, 2n ** 40n));
    await assert.rejects(() => readSafetensorsHeader(path), /exceeds the 100000000-byte limit/);
    await Deno.writeFile(path, rawFile("{}", 0, 64n));
    await assert.rejects(() => readSafetensorsHeader(path), /header length 64 runs past the end/);
    await Deno.writeFile(path, new Uint8Array(3));
    await assert.rejects(() => readSafetensorsHeader(path), /only 3 bytes long/);
    await assert.rejects(() => readSafetensors(`${dir}/missing.safetensors`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
