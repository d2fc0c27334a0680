/**
 * The weight gradient of 3-D convolution: partial sums over chunks of voxel rows, then a
 * second pass that sums the chunks (see `conv3d.ts`).
 *
 * @module
 */

import {
  type ConvAxis,
  type ConvKernel,
  type ConvTiles,
  type ConvVariant,
  PORTABLE_WORKGROUP,
  tilesOf,
  u32,
} from "./conv3d_common.ts";
import { foldGrid } from "./grid.ts";

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
  /** Tile overrides (benchmarks); defaults from `CONV_TILES`. */
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
