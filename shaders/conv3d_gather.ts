/**
 * The gather kernel of 3-D convolution: forward pass, input gradient and transposed
 * convolution as one implicit GEMM with per-axis input maps (see `conv3d.ts`).
 *
 * @module
 */

import {
  type ConvGatherSpec,
  type ConvKernel,
  PORTABLE_WORKGROUP,
  tilesOf,
  u32,
} from "./conv3d_common.ts";
import { foldGrid } from "./grid.ts";

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
