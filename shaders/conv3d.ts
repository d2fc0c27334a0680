/**
 * 3-D convolution kernels as implicit GEMM over channels-last volumes (no im2col buffer).
 *
 * Kernels for the forward pass, both gradients and the transposed convolution:
 *
 * - {@link convGatherKernel}: every output voxel gathers input voxels through a
 *   per-axis affine map. An output coordinate `o` reads input coordinate
 *   `(o·mul + offset + t·tap) / div` at tap `t` when that is an integer inside the input.
 *   A forward convolution is `mul = stride, offset = −pad, tap = dilation, div = 1`; its
 *   input gradient is `mul = 1, offset = pad, tap = −dilation, div = stride` (the
 *   transposed convolution), so one generator serves both.
 * - {@link convWeightGradKernel}: the weight gradient, a GEMM whose reduction runs over
 *   batch × volume. It is split across workgroups by chunks of voxel rows (partial sums),
 *   and {@link convReduceChunksKernel} sums the chunks in a second pass.
 * - {@link convTapSumKernel}: with few output channels, the op layer runs the convolution
 *   as a GEMM to (taps × channels) per input voxel and this kernel gathers the taps.
 * - {@link convBiasGradKernel}: chunked column sums of the output gradient.
 *
 * Kernel shapes, chosen per adapter class ({@link ConvVariant}):
 * - `subgroup` (8-lane subgroups, llvmpipe): a workgroup is one subgroup. In the `wide`
 *   shape it computes R = 32 consecutive output voxels along W × 32 output channels, each
 *   lane owning a vec4 of channels; per (tap, input channel) each lane loads R/8 input
 *   values and shares them by `subgroupBroadcast`, so no value is loaded twice (llvmpipe
 *   loads storage lane by lane with a bounds check, so loads, not FMAs, limit it). The
 *   input-channel loop is unrolled by 4 with vec4 input loads, which halves the
 *   execution-mask blends and spills of the accumulators per FMA. For few output channels
 *   the `narrow` shape turns this around: lanes own voxels and the weights are broadcast.
 * - `portable`: 64 independent invocations per workgroup, each computing a small
 *   register tile; no subgroup operations.
 *
 * Only the tile structure is baked into the WGSL; extents, channel counts and the axis
 * maps arrive at run time in a small `i32` parameter buffer (the last binding), so one
 * pipeline serves every shape: Mesa takes 0.3–1.5 s to compile each of these kernels.
 * Integer division, which llvmpipe scalarises per lane, is emitted only for strided maps.
 *
 * Tile parameters live in {@link CONV_TILES}, one entry per adapter class; measurements
 * behind them are in `bench/NOTES.md`.
 *
 * @module
 */

import { foldGrid } from "./grid.ts";

/** Kernel family, picked per adapter class. */
export type ConvVariant = "subgroup" | "portable";

/** Tile parameters of the convolution kernels for one adapter class. */
export interface ConvTiles {
  /** Forward / input-gradient kernel with lanes owning output channels. */
  wide: { rowsPerLane: number; vec4PerLane: number; unroll?: number; vecX?: boolean };
  /** Forward / input-gradient kernel for few output channels: lanes own voxels. */
  narrow: { rowsPerLane: number; maxChannels: number };
  /** Weight-gradient partial sums. */
  weightGrad: {
    rowsPerLane: number;
    vec4PerLane: number;
    chunkVoxels: number;
    unroll?: number;
    vecX?: boolean;
  };
}

/**
 * Tile parameters per adapter class, in one place. For `portable`, "per lane" means per
 * invocation (each invocation loads all of its rows itself).
 */
export const CONV_TILES: Record<ConvVariant, ConvTiles> = {
  subgroup: {
    wide: { rowsPerLane: 4, vec4PerLane: 1, unroll: 4, vecX: true },
    narrow: { rowsPerLane: 2, maxChannels: 8 },
    weightGrad: { rowsPerLane: 4, vec4PerLane: 1, chunkVoxels: 16384, unroll: 2, vecX: true },
  },
  portable: {
    wide: { rowsPerLane: 4, vec4PerLane: 1 },
    narrow: { rowsPerLane: 4, maxChannels: 0 },
    weightGrad: { rowsPerLane: 4, vec4PerLane: 1, chunkVoxels: 16384 },
  },
};

/**
 * One spatial axis of a gathered convolution: output coordinate `o` at tap `t` reads input
 * coordinate `(o·mul + offset + t·tap) / div` when that divides exactly and is in range.
 */
export interface ConvAxis {
  /** Extent of the kernel's output along the axis. */
  output: number;
  /** Extent of the kernel's input along the axis. */
  input: number;
  /** Number of taps. */
  taps: number;
  /** Output coordinate multiplier (the stride of a forward convolution). */
  mul: number;
  /** Constant offset (−padding forward, +padding for the input gradient). */
  offset: number;
  /** Tap multiplier (dilation forward, −dilation for the input gradient). */
  tap: number;
  /** Divisor (1 forward, the stride for the input gradient / transposed convolution). */
  div: number;
}

/** A gathered convolution: out[n, o, co] = Σ_{t, ci} in[n, map(o, t), ci] · w[t, ci, co]. */
export interface ConvGatherSpec {
  /** Batch size N. */
  batch: number;
  /** Axes D, H, W. */
  axes: readonly [ConvAxis, ConvAxis, ConvAxis];
  /** Channels per input voxel. */
  cin: number;
  /** Channels per output voxel. */
  cout: number;
  /** Kernel family. */
  variant: ConvVariant;
  /** Tile overrides (benchmarks); defaults from {@link CONV_TILES}. */
  tiles?: Partial<ConvTiles>;
}

/** A generated kernel: WGSL text, its launch grid and its run-time parameters. */
export interface ConvKernel {
  /** WGSL source (the same for every shape of one tile structure). */
  code: string;
  /** Workgroups to dispatch. */
  workgroups: [number, number, number];
  /** Values of the parameter buffer, bound after the other bindings. */
  params: Int32Array;
}

const PORTABLE_WORKGROUP = 64;

function tilesOf(variant: ConvVariant, overrides?: Partial<ConvTiles>): ConvTiles {
  return { ...CONV_TILES[variant], ...overrides };
}

function u32(v: number): string {
  return `${v >>> 0}u`;
}

/** Which shape of gather kernel a spec gets. */
export function convGatherShape(spec: ConvGatherSpec): "wide" | "narrow" | "portable" {
  if (spec.variant === "portable") return "portable";
  const t = tilesOf(spec.variant, spec.tiles);
  return spec.cout <= t.narrow.maxChannels ? "narrow" : "wide";
}

/** Names of the per-axis parameters of the gather kernel, in buffer order. */
const GATHER_AXIS_FIELDS = ["Out", "In", "Taps", "Mul", "Off", "Tap", "Div"];

/**
 * WGSL of a gathered convolution. Bindings: out (rw), input, weight [taps, cin, cout],
 * bias (cout; zeros when the convolution has none), then the parameter buffer.
 */
export function convGatherKernel(spec: ConvGatherSpec): ConvKernel {
  const [ad, ah, aw] = spec.axes;
  for (const a of spec.axes) {
    if (a.div < 1 || a.taps < 1 || a.output < 1 || a.input < 1 || a.mul < 1) {
      throw new RangeError(`conv kernel: invalid axis ${JSON.stringify(a)}`);
    }
  }
  const shape = convGatherShape(spec);
  const tiles = tilesOf(spec.variant, spec.tiles);
  const { cin, cout, batch } = spec;
  const vecOut = cout % 4 === 0;

  // Rows are output voxels along W of one phase: ow = phase + div·m.
  const phases = aw.div;
  const perPhase = Math.ceil(aw.output / aw.div);
  let rows: number; // voxel rows per unit (workgroup or invocation)
  let loadRows: number; // rows each invocation loads
  let colsPerLane: number; // vec4 groups per invocation
  let cols: number; // output channels per unit
  if (shape === "wide") {
    // Fewer rows when the volume is narrow, so no lanes idle in a half-empty tile.
    // (Two row tiles at most: every distinct tile is another pipeline to compile.)
    loadRows = perPhase <= 16 ? Math.min(2, tiles.wide.rowsPerLane) : tiles.wide.rowsPerLane;
    rows = 8 * loadRows;
    colsPerLane = tiles.wide.vec4PerLane;
    cols = 32 * colsPerLane;
  } else if (shape === "narrow") {
    loadRows = tiles.narrow.rowsPerLane;
    rows = 8 * loadRows;
    colsPerLane = Math.ceil(cout / 4);
    cols = 4 * colsPerLane;
  } else {
    loadRows = tiles.wide.rowsPerLane;
    rows = loadRows;
    colsPerLane = tiles.wide.vec4PerLane;
    cols = 4 * colsPerLane;
  }
  const hasDiv = spec.axes.some((a) => a.div > 1);
  const wantUnroll = shape === "narrow" ? 1 : (tiles.wide.unroll ?? 1);
  const unroll = cin % wantUnroll === 0 ? wantUnroll : 1;
  const vecX = unroll % 4 === 0 && (tiles.wide.vecX ?? false);
  const wBlocks = Math.ceil(perPhase / rows);
  const cBlocks = Math.ceil(cout / cols);
  const units = batch * ad.output * ah.output * phases * wBlocks * cBlocks;
  const portable = shape === "portable";
  const [gx, gy] = foldGrid(portable ? Math.ceil(units / PORTABLE_WORKGROUP) : units);
  const axisParams = spec.axes.flatMap((a) => [
    a.output,
    a.input,
    a.taps,
    a.mul,
    a.offset,
    a.tap,
    a.div,
  ]);
  const params = Int32Array.from([
    units,
    gx,
    cBlocks,
    wBlocks,
    phases,
    cin,
    cout,
    batch,
    ...axisParams,
  ]);

  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);
  const outType = vecOut ? "array<vec4<f32>>" : "array<f32>";
  emit(
    `// conv gather: ${shape}, rows ${rows}, vec4 per lane ${colsPerLane}, unroll ${unroll}` +
      `${vecX ? ", vec4 input" : ""}${hasDiv ? ", strided" : ""}`,
  );
  emit(`@group(0) @binding(0) var<storage, read_write> y: ${outType};`);
  emit(
    `@group(0) @binding(1) var<storage, read> ${vecX ? "x4: array<vec4<f32>>" : "x: array<f32>"};`,
  );
  emit(`@group(0) @binding(2) var<storage, read> w: ${outType};`);
  emit(`@group(0) @binding(3) var<storage, read> b: ${outType};`);
  emit(`@group(0) @binding(4) var<storage, read> p: array<i32>;`);
  emit(`@compute @workgroup_size(${portable ? PORTABLE_WORKGROUP : 8})`);
  emit(
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, ` +
      `@builtin(local_invocation_index) lane: u32) {`,
  );
  const base = portable
    ? `(wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane`
    : `wid.y * u32(p[1]) + wid.x`;
  emit(`  let g = ${base};`);
  emit(`  if (g >= u32(p[0])) { return; }`);
  emit(`  let cBlocks = u32(p[2]); let wBlocks = u32(p[3]); let phases = u32(p[4]);`);
  emit(`  let cin = u32(p[5]); let cout = u32(p[6]);`);
  ["d", "h", "w"].forEach((axis, a) => {
    emit(
      "  " +
        GATHER_AXIS_FIELDS.map((f, i) => `let ${axis}${f} = p[${8 + 7 * a + i}];`).join(" "),
    );
  });
  emit(`  var q = g;`);
  emit(`  let cb = q % cBlocks; q = q / cBlocks;`);
  emit(`  let wb = q % wBlocks; q = q / wBlocks;`);
  emit(`  let ph = q % phases; q = q / phases;`);
  emit(`  let oh = q % u32(hOut); q = q / u32(hOut);`);
  emit(`  let od = q % u32(dOut); let n = q / u32(dOut);`);

  if (shape === "wide") emit(`  let co0 = cb * ${u32(cols)} + lane * ${u32(4 * colsPerLane)};`);
  else if (portable) emit(`  let co0 = cb * ${u32(cols)};`);
  else emit(`  let co0 = 0u;`);
  // Per column group: in range, and a clamped index that is safe to load.
  emit(`  let lastCol = (cout - 1u) / 4u * 4u;`);
  for (let c = 0; c < colsPerLane; c++) {
    emit(`  let cm${c} = co0 + ${u32(4 * c)} < cout;`);
    emit(`  let cc${c} = min(co0 + ${u32(4 * c)}, lastCol);`);
  }
  const loadVec = (buffer: string, rowExpr: string, c: number): string => {
    if (vecOut) return `select(vec4<f32>(0.0), ${buffer}[(${rowExpr} + cc${c}) / 4u], cm${c})`;
    const parts = [0, 1, 2, 3].map((e) => {
      const co = `co0 + ${u32(4 * c + e)}`;
      return `select(0.0, ${buffer}[${rowExpr} + min(${co}, cout - 1u)], ${co} < cout)`;
    });
    return `vec4<f32>(${parts.join(", ")})`;
  };

  // Rows this invocation loads: m = wb·rows + rowOf(j), ow = ph + div·m.
  const rowOf = (j: number) => portable ? `${u32(j)}` : `lane + ${u32(8 * j)}`;
  for (let j = 0; j < loadRows; j++) {
    emit(`  let m${j} = i32(wb * ${u32(rows)} + ${rowOf(j)});`);
    emit(`  let ow${j} = i32(ph) + wDiv * m${j};`);
    emit(`  let rv${j} = ow${j} < wOut;`);
  }
  const accRows = shape === "narrow" ? loadRows : rows;
  for (let r = 0; r < accRows; r++) {
    for (let c = 0; c < colsPerLane; c++) emit(`  var acc${r}_${c} = vec4<f32>(0.0);`);
  }

  // D and H taps are uniform over the unit: invalid ones are skipped by all lanes.
  emit(`  for (var kd = 0i; kd < dTaps; kd++) {`);
  emit(`    let idn = i32(od) * dMul + dOff + kd * dTap;`);
  if (hasDiv) {
    emit(`    if (idn < 0i || idn >= dIn * dDiv || idn % dDiv != 0i) { continue; }`);
    emit(`    let id = u32(idn / dDiv);`);
  } else {
    emit(`    if (idn < 0i || idn >= dIn) { continue; }`);
    emit(`    let id = u32(idn);`);
  }
  emit(`  for (var kh = 0i; kh < hTaps; kh++) {`);
  emit(`    let ihn = i32(oh) * hMul + hOff + kh * hTap;`);
  if (hasDiv) {
    emit(`    if (ihn < 0i || ihn >= hIn * hDiv || ihn % hDiv != 0i) { continue; }`);
    emit(`    let ih = u32(ihn / hDiv);`);
  } else {
    emit(`    if (ihn < 0i || ihn >= hIn) { continue; }`);
    emit(`    let ih = u32(ihn);`);
  }
  emit(`    let rowBase = ((n * u32(dIn) + id) * u32(hIn) + ih) * u32(wIn);`);
  emit(`  for (var kw = 0i; kw < wTaps; kw++) {`);
  // Every row of the unit has the same phase, so W divisibility is uniform too.
  // With ow = ph + div·m, the input coordinate is m·mul + (ph·mul + offset + kw·tap) / div:
  // one exact division per tap instead of one per row.
  if (hasDiv) {
    emit(`    let qw = i32(ph) * wMul + wOff + kw * wTap;`);
    emit(`    if (qw % wDiv != 0i) { continue; }`);
    emit(`    let qb = qw / wDiv;`);
  }
  emit(`    let tap = u32((kd * hTaps + kh) * wTaps + kw);`);
  for (let j = 0; j < loadRows; j++) {
    if (hasDiv) emit(`    let iw${j} = m${j} * wMul + qb;`);
    else emit(`    let iw${j} = ow${j} * wMul + wOff + kw * wTap;`);
    emit(`    let v${j} = rv${j} && iw${j} >= 0i && iw${j} < wIn;`);
    emit(`    let xa${j} = select(0u, (rowBase + u32(iw${j})) * cin, v${j});`);
  }

  if (shape === "narrow") {
    // Lanes own voxels; lane l loads the weights of input channel c8 + l, shared by broadcast.
    emit(`    for (var c8 = 0u; c8 < cin; c8 += 8u) {`);
    emit(`      let wok = c8 + lane < cin;`);
    emit(`      let wRow = (tap * cin + min(c8 + lane, cin - 1u)) * cout;`);
    for (let c = 0; c < colsPerLane; c++) {
      emit(`      let wl${c} = select(vec4<f32>(0.0), ${loadVec("w", "wRow", c)}, wok);`);
    }
    for (let jj = 0; jj < 8; jj++) {
      emit(`      if (c8 + ${u32(jj)} < cin) {`);
      for (let j = 0; j < loadRows; j++) {
        emit(`        let x${j} = select(0.0, x[xa${j} + c8 + ${u32(jj)}], v${j});`);
      }
      for (let c = 0; c < colsPerLane; c++) {
        emit(`        { let wv = subgroupBroadcast(wl${c}, ${u32(jj)});`);
        for (let j = 0; j < loadRows; j++) {
          emit(`          acc${j}_${c} = fma(vec4<f32>(x${j}), wv, acc${j}_${c});`);
        }
        emit(`        }`);
      }
      emit(`      }`);
    }
    emit(`    }`);
  } else {
    emit(`    var wRow = tap * cin * cout;`);
    emit(`    for (var ci = 0u; ci < cin; ci += ${u32(unroll)}) {`);
    const comp = ["x", "y", "z", "w"];
    for (let j = 0; j < loadRows; j++) {
      for (let k = 0; vecX && k < unroll / 4; k++) {
        emit(
          `      let xv${j}_${k} = select(vec4<f32>(0.0), x4[(xa${j} + ci) / 4u + ${
            u32(k)
          }], v${j});`,
        );
      }
      for (let u = 0; u < unroll; u++) {
        const value = vecX
          ? `xv${j}_${u >> 2}.${comp[u & 3]}`
          : `select(0.0, x[xa${j} + ci + ${u32(u)}], v${j})`;
        emit(`      let x${j}_${u} = ${value};`);
      }
    }
    for (let u = 0; u < unroll; u++) {
      for (let c = 0; c < colsPerLane; c++) {
        emit(`      let w${c}_${u} = ${loadVec("w", `wRow + ${u32(u)} * cout`, c)};`);
      }
    }
    emit(`      wRow += ${u32(unroll)} * cout;`);
    for (let u = 0; u < unroll; u++) {
      for (let r = 0; r < rows; r++) {
        const value = portable ? `x${r}_${u}` : `subgroupBroadcast(x${r >> 3}_${u}, ${u32(r & 7)})`;
        emit(`      { let s = vec4<f32>(${value});`);
        for (let c = 0; c < colsPerLane; c++) {
          emit(`        acc${r}_${c} = fma(s, w${c}_${u}, acc${r}_${c});`);
        }
        emit(`      }`);
      }
    }
    emit(`    }`);
  }
  emit(`  }`); // kw
  emit(`  }`); // kh
  emit(`  }`); // kd

  // Epilogue: add the bias, store.
  emit(`  let yRow = ((n * u32(dOut) + od) * u32(hOut) + oh) * u32(wOut);`);
  for (let c = 0; c < colsPerLane; c++) {
    emit(`  let bias${c} = ${loadVec("b", "0u", c)};`);
  }
  const store = (indent: string, ow: string, r: number) => {
    for (let c = 0; c < colsPerLane; c++) {
      const value = `acc${r}_${c} + bias${c}`;
      if (vecOut) {
        emit(
          `${indent}if (cm${c}) { y[((yRow + ${ow}) * cout + co0) / 4u + ${u32(c)}] = ${value}; }`,
        );
      } else {
        emit(`${indent}{ let v = ${value};`);
        for (let e = 0; e < 4; e++) {
          const co = `co0 + ${u32(4 * c + e)}`;
          emit(`${indent}  if (${co} < cout) { y[(yRow + ${ow}) * cout + ${co}] = v[${e}]; }`);
        }
        emit(`${indent}}`);
      }
    }
  };
  if (shape === "narrow") {
    for (let j = 0; j < loadRows; j++) {
      emit(`  if (rv${j}) {`);
      store("    ", `u32(ow${j})`, j);
      emit(`  }`);
    }
  } else {
    for (let r = 0; r < rows; r++) {
      emit(`  { let ow = i32(ph) + wDiv * i32(wb * ${u32(rows)} + ${u32(r)});`);
      emit(`  if (ow < wOut) {`);
      store("    ", "u32(ow)", r);
      emit(`  } }`);
    }
  }
  emit(`}`);
  return { code: lines.join("\n") + "\n", workgroups: [gx, gy, 1], params };
}

/**
 * The weight gradient of a gathered convolution (all axes with `div = 1`):
 * dW[t, cx, cg] = Σ_{n, o} X[n, map(o, t), cx] · G[n, o, cg], with X the convolution's
 * input and G its output gradient.
 */
export interface ConvWeightGradSpec {
  /** Batch size N. */
  batch: number;
  /** Axes D, H, W; `output` is G's extent, `input` X's. */
  axes: readonly [ConvAxis, ConvAxis, ConvAxis];
  /** Channels of X. */
  cx: number;
  /** Channels of G. */
  cg: number;
  /** Kernel family. */
  variant: ConvVariant;
  /** Tile overrides (benchmarks); defaults from {@link CONV_TILES}. */
  tiles?: Partial<ConvTiles>;
}

/** The layout of the partial sums written by {@link convWeightGradKernel}. */
export interface ConvWeightGradPlan {
  /** Chunks of voxel rows, each written as one partial result. */
  chunks: number;
  /** Padded rows (taps × cx rounded up to the row tile). */
  rows: number;
  /** Padded columns (cg rounded up to the column tile). */
  cols: number;
}

function weightGradTiles(spec: ConvWeightGradSpec) {
  const t = tilesOf(spec.variant, spec.tiles).weightGrad;
  const sub = spec.variant === "subgroup";
  const vec = sub && (t.vecX ?? false) && spec.cx % 4 === 0 && t.rowsPerLane % 4 === 0;
  return {
    ...t,
    sub,
    vec,
    unroll: t.unroll ?? 1,
    rowTile: sub ? 8 * t.rowsPerLane : t.rowsPerLane,
    colTile: (sub ? 32 : 4) * t.vec4PerLane,
  };
}

/** How the weight-gradient reduction is split: chunks and the padded partial layout. */
export function convWeightGradPlan(
  spec: ConvWeightGradSpec,
  maxPartialFloats = 8 * 2 ** 20,
): ConvWeightGradPlan {
  const { rowTile, colTile, chunkVoxels, sub } = weightGradTiles(spec);
  const [ad, ah, aw] = spec.axes;
  const taps = ad.taps * ah.taps * aw.taps;
  const rows = Math.ceil((taps * spec.cx) / rowTile) * rowTile;
  const cols = Math.ceil(spec.cg / colTile) * colTile;
  const lines = spec.batch * ad.output * ah.output;
  const voxels = lines * aw.output;
  const units = (rows / rowTile) * (cols / colTile);
  const targetUnits = sub ? 256 : 256 * PORTABLE_WORKGROUP;
  let chunks = Math.max(Math.ceil(targetUnits / units), Math.ceil(voxels / chunkVoxels));
  chunks = Math.min(chunks, lines, Math.max(1, Math.floor(maxPartialFloats / (rows * cols))));
  const perChunk = Math.ceil(lines / Math.max(1, chunks));
  chunks = Math.ceil(lines / perChunk);
  return { chunks, rows, cols };
}

/**
 * WGSL of the first weight-gradient pass: partial[chunk, row, col] over one chunk of voxel
 * rows (n, d, h). Rows are (tap, cx) pairs, shared across lanes by broadcast; columns are
 * vec4s of G's channels owned by lanes. With `vecX` (and cx % 4 == 0) each lane loads four
 * consecutive channels of one tap as a vec4. Bindings: partial (rw, chunks × rows × cols
 * of the plan), X, G, params.
 */
export function convWeightGradKernel(
  spec: ConvWeightGradSpec,
  plan: ConvWeightGradPlan,
): ConvKernel {
  const [ad, ah, aw] = spec.axes;
  if (spec.axes.some((a) => a.div !== 1)) {
    throw new RangeError("weight-gradient kernel needs div = 1 on every axis");
  }
  const { sub, rowTile, colTile, rowsPerLane, vec4PerLane, vec, unroll } = weightGradTiles(spec);
  const { cx, cg, batch } = spec;
  const taps = ad.taps * ah.taps * aw.taps;
  // Registers of X each invocation loads per voxel: vec4s (4 rows each) or scalars.
  const loadRegs = vec ? rowsPerLane / 4 : rowsPerLane;
  const colsPerLane = vec4PerLane;
  const rowBlocks = plan.rows / rowTile;
  const colBlocks = plan.cols / colTile;
  const lines = batch * ad.output * ah.output;
  const perChunk = Math.ceil(lines / plan.chunks);
  const units = plan.chunks * rowBlocks * colBlocks;
  const [gx, gy] = foldGrid(sub ? units : Math.ceil(units / PORTABLE_WORKGROUP));
  const vecG = cg % 4 === 0;
  const params = Int32Array.from([
    units,
    gx,
    colBlocks,
    rowBlocks,
    taps * cx,
    cx,
    cg,
    ad.output,
    ah.output,
    aw.output,
    perChunk,
    lines,
    plan.rows,
    plan.cols,
    ...spec.axes.flatMap((a) => [a.input, a.taps, a.mul, a.offset, a.tap]),
  ]);

  const out: string[] = [];
  const emit = (s: string) => out.push(s);
  emit(
    `// conv weight gradient: rows ${rowTile}, vec4 per lane ${colsPerLane}, unroll ${unroll}` +
      `${vec ? ", vec4 input" : ""}`,
  );
  emit(`@group(0) @binding(0) var<storage, read_write> part: array<vec4<f32>>;`);
  emit(
    `@group(0) @binding(1) var<storage, read> ${
      vec ? "xin4: array<vec4<f32>>" : "xin: array<f32>"
    };`,
  );
  emit(
    `@group(0) @binding(2) var<storage, read> gr: ${vecG ? "array<vec4<f32>>" : "array<f32>"};`,
  );
  emit(`@group(0) @binding(3) var<storage, read> p: array<i32>;`);
  emit(`@compute @workgroup_size(${sub ? 8 : PORTABLE_WORKGROUP})`);
  emit(
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, ` +
      `@builtin(local_invocation_index) lane: u32) {`,
  );
  if (sub) emit(`  let g = wid.y * u32(p[1]) + wid.x;`);
  else emit(`  let g = (wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane;`);
  emit(`  if (g >= u32(p[0])) { return; }`);
  emit(`  let colBlocks = u32(p[2]); let rowBlocks = u32(p[3]); let rowsTotal = u32(p[4]);`);
  emit(`  let cx = u32(p[5]); let cg = u32(p[6]);`);
  emit(`  let dOut = u32(p[7]); let hOut = u32(p[8]); let wOut = i32(p[9]);`);
  emit(`  let perChunk = u32(p[10]); let lines = u32(p[11]);`);
  emit(`  let planRows = u32(p[12]); let planCols = u32(p[13]);`);
  ["d", "h", "w"].forEach((axis, a) => {
    emit(
      "  " +
        ["In", "Taps", "Mul", "Off", "Tap"].map((f, i) => `let ${axis}${f} = p[${14 + 5 * a + i}];`)
          .join(" "),
    );
  });
  emit(`  let cb = g % colBlocks;`);
  emit(`  let rb = (g / colBlocks) % rowBlocks;`);
  emit(`  let chunk = g / (colBlocks * rowBlocks);`);
  emit(`  let co0 = cb * ${u32(colTile)}${sub ? ` + lane * ${u32(4 * colsPerLane)}` : ""};`);
  emit(`  let lastCol = (cg - 1u) / 4u * 4u;`);
  for (let c = 0; c < colsPerLane; c++) {
    emit(`  let cm${c} = co0 + ${u32(4 * c)} < cg;`);
    emit(`  let cc${c} = min(co0 + ${u32(4 * c)}, lastCol);`);
  }
  for (let j = 0; j < loadRegs; j++) {
    let row: string;
    if (vec) row = `rb * ${u32(rowTile)} + ${u32(32 * j)} + lane * 4u`;
    else if (sub) row = `rb * ${u32(rowTile)} + lane + ${u32(8 * j)}`;
    else row = `rb * ${u32(rowTile)} + ${u32(j)}`;
    emit(`  let row${j} = ${row};`);
    emit(`  let rok${j} = row${j} < rowsTotal;`);
    emit(`  let rr${j} = min(row${j}, rowsTotal - 1u);`);
    emit(`  let c${j} = rr${j} % cx;`);
    emit(`  let t${j} = i32(rr${j} / cx);`);
    emit(`  let dOff${j} = (t${j} / (hTaps * wTaps)) * dTap + dOff;`);
    emit(`  let hOff${j} = ((t${j} / wTaps) % hTaps) * hTap + hOff;`);
    emit(`  let wOff${j} = (t${j} % wTaps) * wTap + wOff;`);
  }
  for (let r = 0; r < rowTile; r++) {
    for (let c = 0; c < colsPerLane; c++) emit(`  var acc${r}_${c} = vec4<f32>(0.0);`);
  }
  emit(`  let l0 = chunk * perChunk;`);
  emit(`  let l1 = min(l0 + perChunk, lines);`);
  emit(`  for (var line = l0; line < l1; line++) {`);
  emit(`    let oh = i32(line % hOut);`);
  emit(`    let od = i32((line / hOut) % dOut);`);
  emit(`    let n = line / (hOut * dOut);`);
  for (let j = 0; j < loadRegs; j++) {
    emit(`    let nd${j} = od * dMul + dOff${j};`);
    emit(`    let nh${j} = oh * hMul + hOff${j};`);
    emit(
      `    let okdh${j} = rok${j} && nd${j} >= 0i && nd${j} < dIn && nh${j} >= 0i && nh${j} < hIn;`,
    );
    emit(
      `    let base${j} = select(0u, ((n * u32(dIn) + u32(nd${j})) * u32(hIn) + u32(nh${j})) * u32(wIn), okdh${j});`,
    );
  }
  emit(`    let gLine = line * u32(wOut) * cg;`);
  emit(`    for (var ow = 0i; ow < wOut; ow += ${unroll}i) {`);
  for (let u = 0; u < unroll; u++) {
    emit(`      let in${u} = ow + ${u}i < wOut;`);
    for (let j = 0; j < loadRegs; j++) {
      emit(`      let nw${j}_${u} = (ow + ${u}i) * wMul + wOff${j};`);
      emit(`      let ok${j}_${u} = okdh${j} && in${u} && nw${j}_${u} >= 0i && nw${j}_${u} < wIn;`);
      emit(
        `      let xa${j}_${u} = select(0u, (base${j} + u32(nw${j}_${u})) * cx + c${j}, ok${j}_${u});`,
      );
      if (vec) {
        emit(
          `      let x${j}_${u} = select(vec4<f32>(0.0), xin4[xa${j}_${u} / 4u], ok${j}_${u});`,
        );
      } else emit(`      let x${j}_${u} = select(0.0, xin[xa${j}_${u}], ok${j}_${u});`);
    }
    emit(`      let gi${u} = select(0u, gLine + u32(ow + ${u}i) * cg, in${u});`);
    for (let c = 0; c < colsPerLane; c++) {
      const ok = `cm${c} && in${u}`;
      if (vecG) {
        emit(`      let gv${c}_${u} = select(vec4<f32>(0.0), gr[(gi${u} + cc${c}) / 4u], ${ok});`);
      } else {
        const parts = [0, 1, 2, 3].map((e) => {
          const co = `co0 + ${u32(4 * c + e)}`;
          return `select(0.0, gr[gi${u} + min(${co}, cg - 1u)], ${co} < cg && in${u})`;
        });
        emit(`      let gv${c}_${u} = vec4<f32>(${parts.join(", ")});`);
      }
    }
  }
  const comp = ["x", "y", "z", "w"];
  for (let u = 0; u < unroll; u++) {
    for (let r = 0; r < rowTile; r++) {
      let value: string;
      if (vec) {
        value = `subgroupBroadcast(x${r >> 5}_${u}.${comp[r & 3]}, ${u32((r & 31) >> 2)})`;
      } else if (sub) value = `subgroupBroadcast(x${r >> 3}_${u}, ${u32(r & 7)})`;
      else value = `x${r}_${u}`;
      emit(`      { let s = vec4<f32>(${value});`);
      for (let c = 0; c < colsPerLane; c++) {
        emit(`        acc${r}_${c} = fma(s, gv${c}_${u}, acc${r}_${c});`);
      }
      emit(`      }`);
    }
  }
  emit(`    }`);
  emit(`  }`);
  emit(`  let pRow = chunk * planRows + rb * ${u32(rowTile)};`);
  for (let r = 0; r < rowTile; r++) {
    for (let c = 0; c < colsPerLane; c++) {
      emit(
        `  part[((pRow + ${u32(r)}) * planCols + co0) / 4u + ${u32(c)}] = acc${r}_${c};`,
      );
    }
  }
  emit(`}`);
  return { code: out.join("\n") + "\n", workgroups: [gx, gy, 1], params };
}

/**
 * WGSL of the second weight-gradient pass: out[t·st + cx·sx + cg·sg] = Σ_chunk
 * partial[chunk, t·cx + cx, cg]. Bindings: out (rw), partial, params.
 */
export function convReduceChunksKernel(
  plan: ConvWeightGradPlan,
  taps: number,
  cx: number,
  cg: number,
  outStrides: readonly [number, number, number],
): ConvKernel {
  const total = taps * cx * cg;
  const [gx, gy] = foldGrid(Math.ceil(total / PORTABLE_WORKGROUP));
  const params = Int32Array.from([
    total,
    gx,
    cg,
    cx,
    plan.chunks,
    plan.rows,
    plan.cols,
    ...outStrides,
  ]);
  const code = `// conv weight gradient: sum of chunks
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read> p: array<i32>;
@compute @workgroup_size(${PORTABLE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let e = (wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane;
  if (e >= u32(p[0])) { return; }
  let cg = u32(p[2]); let cx = u32(p[3]); let chunks = u32(p[4]);
  let planRows = u32(p[5]); let planCols = u32(p[6]);
  let c = e % cg;
  let row = e / cg;
  let k = row % cx;
  let t = row / cx;
  var s = 0.0;
  for (var i = 0u; i < chunks; i++) {
    s += part[(i * planRows + row) * planCols + c];
  }
  y[t * u32(p[7]) + k * u32(p[8]) + c * u32(p[9])] = s;
}
`;
  return { code, workgroups: [gx, gy, 1], params };
}

/**
 * WGSL of the tap sum that finishes a convolution with few output channels computed as a
 * GEMM first: out[n, o, co] = bias[co] + Σ_t z[n, map(o, t), t·cout + co], where z holds
 * every tap's contribution per input voxel. One invocation per output element. Bindings:
 * out (rw), z, bias when `bias`, params.
 */
export function convTapSumKernel(
  batch: number,
  axes: readonly [ConvAxis, ConvAxis, ConvAxis],
  cout: number,
  bias: boolean,
): ConvKernel {
  const [ad, ah, aw] = axes;
  const taps = ad.taps * ah.taps * aw.taps;
  const total = batch * ad.output * ah.output * aw.output * cout;
  const [gx, gy] = foldGrid(Math.ceil(total / PORTABLE_WORKGROUP));
  const params = Int32Array.from([
    total,
    gx,
    cout,
    taps * cout,
    ...axes.flatMap((a) => [a.output, a.input, a.taps, a.mul, a.offset, a.tap, a.div]),
  ]);
  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);
  emit(`// conv tap sum`);
  emit(`@group(0) @binding(0) var<storage, read_write> y: array<f32>;`);
  emit(`@group(0) @binding(1) var<storage, read> z: array<f32>;`);
  if (bias) emit(`@group(0) @binding(2) var<storage, read> b: array<f32>;`);
  emit(`@group(0) @binding(${bias ? 3 : 2}) var<storage, read> p: array<i32>;`);
  emit(`@compute @workgroup_size(${PORTABLE_WORKGROUP})`);
  emit(
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, ` +
      `@builtin(local_invocation_index) lane: u32) {`,
  );
  emit(`  let e = (wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane;`);
  emit(`  if (e >= u32(p[0])) { return; }`);
  emit(`  let cout = u32(p[2]); let zc = u32(p[3]);`);
  ["d", "h", "w"].forEach((axis, a) => {
    emit(
      "  " +
        ["Out", "In", "Taps", "Mul", "Off", "Tap", "Div"].map((f, i) =>
          `let ${axis}${f} = p[${4 + 7 * a + i}];`
        ).join(" "),
    );
  });
  emit(`  let co = e % cout;`);
  emit(`  var q = e / cout;`);
  emit(`  let ow = i32(q % u32(wOut)); q = q / u32(wOut);`);
  emit(`  let oh = i32(q % u32(hOut)); q = q / u32(hOut);`);
  emit(`  let od = i32(q % u32(dOut)); let n = q / u32(dOut);`);
  emit(`  var s = ${bias ? "b[co]" : "0.0"};`);
  // Integer division is scalarised per lane on llvmpipe: only strided maps pay for it.
  const hasDiv = axes.some((a) => a.div > 1);
  const check = (v: string, axis: string) =>
    hasDiv
      ? `${v} < 0i || ${v} >= ${axis}In * ${axis}Div || ${v} % ${axis}Div != 0i`
      : `${v} < 0i || ${v} >= ${axis}In`;
  const index = (v: string, axis: string) => hasDiv ? `u32(${v} / ${axis}Div)` : `u32(${v})`;
  emit(`  for (var kd = 0i; kd < dTaps; kd++) {`);
  emit(`    let idn = od * dMul + dOff + kd * dTap;`);
  emit(`    if (${check("idn", "d")}) { continue; }`);
  emit(`    for (var kh = 0i; kh < hTaps; kh++) {`);
  emit(`      let ihn = oh * hMul + hOff + kh * hTap;`);
  emit(`      if (${check("ihn", "h")}) { continue; }`);
  emit(
    `      let rowBase = ((n * u32(dIn) + ${index("idn", "d")}) * u32(hIn) + ${
      index("ihn", "h")
    }) * u32(wIn);`,
  );
  emit(`      for (var kw = 0i; kw < wTaps; kw++) {`);
  emit(`        let iwn = ow * wMul + wOff + kw * wTap;`);
  emit(`        if (${check("iwn", "w")}) { continue; }`);
  emit(`        let t = u32((kd * hTaps + kh) * wTaps + kw);`);
  emit(`        s += z[(rowBase + ${index("iwn", "w")}) * zc + t * cout + co];`);
  emit(`      }`);
  emit(`    }`);
  emit(`  }`);
  emit(`  y[e] = s;`);
  emit(`}`);
  return { code: lines.join("\n") + "\n", workgroups: [gx, gy, 1], params };
}

/**
 * WGSL of the first pass of a bias gradient: partial[chunk, c] = Σ over one chunk of
 * voxels of g[v, c], one invocation per (chunk, vec4 of channels). The second pass is
 * {@link convReduceChunksKernel} with one tap and one row. Bindings: partial (rw, chunks ×
 * cols), g, params.
 */
export function convBiasGradKernel(
  voxels: number,
  channels: number,
  plan: ConvWeightGradPlan,
): ConvKernel {
  const groups = plan.cols / 4;
  const total = plan.chunks * groups;
  const perChunk = Math.ceil(voxels / plan.chunks);
  const [gx, gy] = foldGrid(Math.ceil(total / PORTABLE_WORKGROUP));
  const vec = channels % 4 === 0;
  const params = Int32Array.from([total, gx, groups, channels, voxels, perChunk]);
  const load = vec
    ? `g[(v * c + c0) / 4u]`
    : `vec4<f32>(${
      [0, 1, 2, 3].map((e) => `select(0.0, g[v * c + min(c0 + ${e}u, c - 1u)], c0 + ${e}u < c)`)
        .join(", ")
    })`;
  const code = `// conv bias gradient: chunk sums
@group(0) @binding(0) var<storage, read_write> part: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> g: ${vec ? "array<vec4<f32>>" : "array<f32>"};
@group(0) @binding(2) var<storage, read> p: array<i32>;
@compute @workgroup_size(${PORTABLE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let e = (wid.y * u32(p[1]) + wid.x) * ${u32(PORTABLE_WORKGROUP)} + lane;
  if (e >= u32(p[0])) { return; }
  let groups = u32(p[2]); let c = u32(p[3]); let voxels = u32(p[4]); let perChunk = u32(p[5]);
  let chunk = e / groups;
  let c0 = (e % groups) * 4u;
  let v0 = chunk * perChunk;
  let v1 = min(v0 + perChunk, voxels);
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var v = v0;
  for (; v + 1u < v1; v += 2u) {
    s0 += ${load};
    { let v = v + 1u; s1 += ${load}; }
  }
  if (v < v1) { s0 += ${load}; }
  part[e] = s0 + s1;
}
`;
  return { code, workgroups: [gx, gy, 1], params };
}
