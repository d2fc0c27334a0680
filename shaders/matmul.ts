/**
 * Batched matrix multiplication kernels, C[b] = A[b] · B[b], with operands read through
 * baked strides (so transposed operands need no copy) and batch axes broadcast.
 *
 * Two shapes of kernel, chosen per adapter class:
 * - `subgroup`: for 8-lane subgroups (llvmpipe). A workgroup is one subgroup computing a
 *   24 × 64 tile; each lane owns 8 columns of all 24 rows. Per k, each lane loads one A
 *   value per group of 8 rows and shares it with the others by `subgroupBroadcast` (a
 *   register move), so no value is loaded twice — storage loads, not arithmetic, limit
 *   llvmpipe.
 * - `tiled`: portable fallback, 16 × 16 threads each computing 4 × 4 outputs.
 *
 * @module
 */

/** Operand layout of one batched matmul. */
export interface MatmulSpec {
  /** Batch shape of the output (may be empty). */
  batchShape: readonly number[];
  /** Rows of A and C. */
  m: number;
  /** Columns of B and C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** Strides of A per batch axis (0 when broadcast), then for the row and the k axis. */
  aStrides: readonly number[];
  /** Strides of B per batch axis, then for the k axis and the column. */
  bStrides: readonly number[];
  /** Kernel shape. */
  variant: "subgroup" | "tiled";
}

function batchOffsets(spec: MatmulSpec): string {
  const nb = spec.batchShape.length;
  const lines = ["var rest = batch;", "var a_base = 0u;", "var b_base = 0u;"];
  for (let d = nb - 1; d >= 0; d--) {
    const extent = spec.batchShape[d];
    lines.push(
      `{ let c = rest % ${extent}u; rest = rest / ${extent}u;` +
        ` a_base += c * ${spec.aStrides[d]}u; b_base += c * ${spec.bStrides[d]}u; }`,
    );
  }
  return lines.join("\n  ");
}

/** WGSL source and workgroup counts of a matmul. Bindings: C (rw), A, B. */
export function matmulKernel(
  spec: MatmulSpec,
): { code: string; workgroups: [number, number, number] } {
  return spec.variant === "subgroup" ? subgroupKernel(spec) : tiledKernel(spec);
}

/**
 * Rows of C per subgroup workgroup: 8 per row group, each group sharing A by broadcast.
 * Measured on llvmpipe at 1024³: 1 group 25, 2 groups 29, 3 groups 33, 4 groups 30 GFLOP/s
 * (more rows reuse each loaded B value more; beyond 3 the accumulators spill).
 */
const ROW_GROUPS = 3;
const TILE_ROWS = 8 * ROW_GROUPS;

function subgroupKernel(
  spec: MatmulSpec,
): { code: string; workgroups: [number, number, number] } {
  const { m, n, k } = spec;
  const nb = spec.batchShape.length;
  const [sAm, sAk] = spec.aStrides.slice(nb);
  const [sBk, sBn] = spec.bStrides.slice(nb);
  const batch = spec.batchShape.reduce((a, b) => a * b, 1);
  // vec4 loads of B need 4 consecutive, 16-byte-aligned columns.
  const bVec = sBn === 1 && n % 4 === 0 && sBk % 4 === 0 &&
    spec.bStrides.slice(0, nb).every((s) => s % 4 === 0);
  // vec4 loads of A along k cut A's loads by four when rows are k-contiguous.
  const aVec = sAk === 1 && k % 4 === 0 && sAm % 4 === 0 &&
    spec.aStrides.slice(0, nb).every((s) => s % 4 === 0);
  const cVec = n % 4 === 0;
  // Guards cost instructions per load on llvmpipe: emit them only for partial tiles.
  const colGuard = n % 64 !== 0;
  const rowGuard = m % TILE_ROWS !== 0;
  const guarded = (value: string, ok: string, zero: string) =>
    colGuard ? `select(${zero}, ${value}, ${ok})` : value;
  const loadB = (kExpr: string) =>
    bVec
      ? `let b0 = ${
        guarded(`b4[(b_base + (${kExpr}) * ${sBk}u + col0) / 4u]`, `col0 < ${n}u`, "vec4<f32>(0.0)")
      };
      let b1 = ${
        guarded(
          `b4[(b_base + (${kExpr}) * ${sBk}u + col0 + 4u) / 4u]`,
          `col0 + 4u < ${n}u`,
          "vec4<f32>(0.0)",
        )
      };`
      : `var bv: array<f32, 8>;
      for (var j = 0u; j < 8u; j++) {
        let c = col0 + j;
        bv[j] = select(0.0, b[b_base + (${kExpr}) * ${sBk}u + min(c, ${
        n - 1
      }u) * ${sBn}u], c < ${n}u);
      }
      let b0 = vec4<f32>(bv[0], bv[1], bv[2], bv[3]);
      let b1 = vec4<f32>(bv[4], bv[5], bv[6], bv[7]);`;
  const fma = (av: string, half: number) => {
    const lines: string[] = [];
    for (let r = 0; r < 8; r++) {
      const row = half * 8 + r;
      lines.push(
        `{ let ar = subgroupBroadcast(${av}, ${r}u); ` +
          `acc[${2 * row}] += ar * b0; acc[${2 * row + 1}] += ar * b1; }`,
      );
    }
    return lines.join("\n      ");
  };
  const rowSelect = (value: string, zero: string, h: number) =>
    rowGuard ? `select(${zero}, ${value}, row_ok${h})` : value;
  const halves = [...Array(ROW_GROUPS).keys()];
  const body = aVec
    ? `for (var kk = 0u; kk < ${k}u; kk += 4u) {
    ${
      halves.map((h) =>
        `let a4v${h} = ${rowSelect(`a4[(a_row${h} + kk) / 4u]`, "vec4<f32>(0.0)", h)};`
      ).join("\n    ")
    }
    ${
      [0, 1, 2, 3].map((q) =>
        `{
      ${loadB(`kk + ${q}u`)}
      ${halves.map((h) => fma(`a4v${h}[${q}]`, h)).join("\n      ")}
    }`
      ).join("\n    ")
    }
  }`
    : `for (var kk = 0u; kk < ${k}u; kk++) {
    ${
      halves.map((h) => `let av${h} = ${rowSelect(`a[a_row${h} + kk * ${sAk}u]`, "0.0", h)};`).join(
        "\n    ",
      )
    }
    ${loadB("kk")}
    ${halves.map((h) => fma(`av${h}`, h)).join("\n    ")}
  }`;
  const store = cVec
    ? `if (col0 < ${n}u) { c4[(c_base + row * ${n}u + col0) / 4u] = acc[2u * r]; }
      if (col0 + 4u < ${n}u) { c4[(c_base + row * ${n}u + col0 + 4u) / 4u] = acc[2u * r + 1u]; }`
    : `for (var j = 0u; j < 8u; j++) {
        if (col0 + j < ${n}u) { c[c_base + row * ${n}u + col0 + j] = acc[2u * r + j / 4u][j % 4u]; }
      }`;
  const code = `
@group(0) @binding(0) var<storage, read_write> ${cVec ? "c4: array<vec4<f32>>" : "c: array<f32>"};
@group(0) @binding(1) var<storage, read> ${aVec ? "a4: array<vec4<f32>>" : "a: array<f32>"};
@group(0) @binding(2) var<storage, read> ${bVec ? "b4: array<vec4<f32>>" : "b: array<f32>"};
@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let batch = wid.z;
  ${batchOffsets(spec)}
  let c_base = batch * ${m * n}u;
  // Consecutive workgroups walk down the rows of one 64-column panel of B, so the panel
  // stays in cache while A streams through (measured: +15% at 2048³ on llvmpipe).
  let row0 = wid.x * ${TILE_ROWS}u;
  let col0 = wid.y * 64u + lane * 8u;
  ${
    halves.map((h) =>
      `let a_row${h} = a_base + min(row0 + lane + ${8 * h}u, ${m - 1}u) * ${sAm}u;
  let row_ok${h} = row0 + lane + ${8 * h}u < ${m}u;`
    ).join("\n  ")
  }
  var acc: array<vec4<f32>, ${2 * TILE_ROWS}>;
  ${body}
  for (var r = 0u; r < ${TILE_ROWS}u; r++) {
    let row = row0 + r;
    if (row < ${m}u) {
      ${store}
    }
  }
}
`;
  return { code, workgroups: [Math.ceil(m / TILE_ROWS), Math.ceil(n / 64), batch] };
}

function tiledKernel(spec: MatmulSpec): { code: string; workgroups: [number, number, number] } {
  const { m, n, k } = spec;
  const nb = spec.batchShape.length;
  const [sAm, sAk] = spec.aStrides.slice(nb);
  const [sBk, sBn] = spec.bStrides.slice(nb);
  const batch = spec.batchShape.reduce((a, b) => a * b, 1);
  const code = `
@group(0) @binding(0) var<storage, read_write> c: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let batch = wid.z;
  ${batchOffsets(spec)}
  let c_base = batch * ${m * n}u;
  let row0 = (wid.y * 16u + lid.y) * 4u;
  let col0 = (wid.x * 16u + lid.x) * 4u;
  var acc: array<vec4<f32>, 4>;
  for (var kk = 0u; kk < ${k}u; kk++) {
    var bv = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
      let cc = col0 + j;
      bv[j] = select(0.0, b[b_base + kk * ${sBk}u + min(cc, ${n - 1}u) * ${sBn}u], cc < ${n}u);
    }
    for (var i = 0u; i < 4u; i++) {
      let rr = row0 + i;
      let av = select(0.0, a[a_base + min(rr, ${m - 1}u) * ${sAm}u + kk * ${sAk}u], rr < ${m}u);
      acc[i] += av * bv;
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let rr = row0 + i;
    for (var j = 0u; j < 4u; j++) {
      let cc = col0 + j;
      if (rr < ${m}u && cc < ${n}u) { c[c_base + rr * ${n}u + cc] = acc[i][j]; }
    }
  }
}
`;
  return { code, workgroups: [Math.ceil(n / 64), Math.ceil(m / 64), batch] };
}
