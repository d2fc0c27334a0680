/**
 * Line charts of stacked panels sharing one x axis, laid out once into a list of drawing
 * primitives in pixel coordinates ({@link ChartDrawing}). The SVG and the raster renderers
 * both draw that same list, so the picture in the HTML report and the PNG match.
 *
 * @module
 */

import { textColumns } from "./bitmap_font.ts";
import type { HexColor, Point, StrokeStyle, TextAnchor } from "./raster.ts";

/** One curve of a panel. */
export interface ChartSeries {
  /** Name shown in the legend. */
  label: string;
  /** (x, y) points in data units; a non-finite y leaves a gap in the curve. */
  points: ReadonlyArray<readonly [number, number]>;
  /** Line colour. */
  color: HexColor;
  /** Line width in chart pixels; default 2. */
  width?: number;
  /** Dash pattern in chart pixels; solid when absent. */
  dash?: readonly number[];
}

/** A horizontal line across a panel marking a value, such as a predicted final score. */
export interface ChartReferenceLine {
  /** y value in data units. */
  value: number;
  /** Name shown in the legend. */
  label: string;
  /** Line colour. */
  color: HexColor;
  /** Dash pattern; default 6 px dash, 4 px gap. */
  dash?: readonly number[];
}

/** One panel: a title, a y axis and its curves. */
export interface ChartPanel {
  /** Title above the panel. */
  title: string;
  /** Title of the y axis. */
  yLabel: string;
  /** The curves. */
  series: readonly ChartSeries[];
  /** Horizontal marker lines. */
  referenceLines?: readonly ChartReferenceLine[];
}

/** A whole chart: panels stacked top to bottom over a shared x axis. */
export interface LineChartSpec {
  /** Panels, top first. */
  panels: readonly ChartPanel[];
  /** Title of the shared x axis, shown under the last panel. */
  xLabel: string;
  /** Chart title at the top; none when absent. */
  title?: string;
  /** Width in chart pixels; default 800. */
  width?: number;
  /** Height of each panel in chart pixels; default 240. */
  panelHeight?: number;
}

/** A filled rectangle. */
export interface RectElement {
  /** Discriminant. */
  kind: "rect";
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Fill colour. */
  fill: HexColor;
}

/** A stroked polyline (two equal points draw a dot). */
export interface PolylineElement {
  /** Discriminant. */
  kind: "polyline";
  /** Vertices in chart pixels. */
  points: Point[];
  /** Stroke colour, width and dashes. */
  stroke: StrokeStyle;
}

/** A line of text anchored at its baseline. */
export interface TextElement {
  /** Discriminant. */
  kind: "text";
  /** Anchor x. */
  x: number;
  /** Anchor y (the baseline; for vertical text the anchor along the text). */
  y: number;
  /** The text. */
  text: string;
  /** Font size in chart pixels. */
  size: number;
  /** Text colour. */
  color: HexColor;
  /** Alignment to the anchor. */
  anchor: TextAnchor;
  /** Bold for titles. */
  bold: boolean;
  /** Rotated a quarter turn, reading upwards. */
  vertical: boolean;
}

/** One drawing primitive. */
export type ChartElement = RectElement | PolylineElement | TextElement;

/** A laid-out chart: size, background and primitives in drawing order. */
export interface ChartDrawing {
  /** Width in chart pixels. */
  width: number;
  /** Height in chart pixels. */
  height: number;
  /** Background colour. */
  background: HexColor;
  /** Primitives, drawn first to last. */
  elements: ChartElement[];
}

/**
 * Width the renderers need for `text` at font `size`: the bitmap font's width, which is at
 * least as wide as the sans-serif font the SVG uses, so layouts leave room for both.
 */
export function measureText(text: string, size: number): number {
  return (textColumns(text) * size) / 8;
}

/** A "nice" step (1, 2 or 5 × a power of ten) near `roughStep`. */
export function niceStep(roughStep: number): number {
  if (!(roughStep > 0) || !Number.isFinite(roughStep)) return 1;
  const power = 10 ** Math.floor(Math.log10(roughStep));
  const fraction = roughStep / power;
  const nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
  return nice * power;
}

/** Tick values from `min` to `max` (inclusive, within rounding) every `step`. */
export function ticksBetween(min: number, max: number, step: number): number[] {
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  for (let index = first; index * step <= max + step * 1e-9; index++) {
    // Multiplying instead of accumulating keeps 0.1 + 0.1 + 0.1 from drifting.
    ticks.push(Number((index * step).toPrecision(12)));
  }
  return ticks;
}

/** Formats a tick label with as many decimals as `step` needs, in e-notation when tiny/huge. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return "0";
  if (Math.abs(step) < 1e-3 || Math.abs(value) >= 1e5) {
    // Enough mantissa digits to tell neighbouring ticks apart: 1.5e-4 next to 1e-4 and 2e-4.
    const stepExponent = Math.floor(Math.log10(Math.abs(step)) + 1e-9);
    const stepMantissa = Math.abs(step) / 10 ** stepExponent;
    const fractional = Math.abs(stepMantissa - Math.round(stepMantissa)) > 1e-6 ? 1 : 0;
    const valueExponent = Math.floor(Math.log10(Math.abs(value)) + 1e-9);
    const digits = Math.min(6, Math.max(0, valueExponent - stepExponent) + fractional);
    return value.toExponential(digits).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  let decimals = 0;
  while (
    decimals < 10 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6
  ) {
    decimals++;
  }
  return value.toFixed(decimals);
}

/** Axis range [min, max] snapped to nice ticks around the data range. */
function niceRange(min: number, max: number, tickCount: number): [number, number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1, 0.2];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep((max - min) / tickCount);
  return [Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step, step];
}

/** Colours and sizes of the chart furniture. */
const THEME = {
  background: "#ffffff",
  plotBackground: "#ffffff",
  grid: "#e6e8ec",
  axis: "#6b7280",
  tickText: "#4b5563",
  titleText: "#111827",
  tickSize: 12,
  titleSize: 14,
  chartTitleSize: 16,
} as const;

/** Splits points into runs of finite values (gaps where y is not finite). */
function finiteRuns(
  points: ReadonlyArray<readonly [number, number]>,
): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  let run: Array<[number, number]> = [];
  for (const [x, y] of points) {
    if (Number.isFinite(x) && Number.isFinite(y)) {
      run.push([x, y]);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Lays a chart out into drawing primitives.
 *
 * @example
 * ```ts
 * import { layoutLineChart } from "./line_chart.ts";
 * const drawing = layoutLineChart({
 *   xLabel: "Epoch",
 *   panels: [{
 *     title: "Loss",
 *     yLabel: "loss",
 *     series: [{ label: "train", color: "#2563eb", points: [[1, 0.9], [2, 0.5], [3, 0.4]] }],
 *   }],
 * });
 * console.log(drawing.elements.length);
 * ```
 */
export function layoutLineChart(spec: LineChartSpec): ChartDrawing {
  const width = spec.width ?? 800;
  const panelHeight = spec.panelHeight ?? 240;
  const elements: ChartElement[] = [];
  const text = (
    x: number,
    y: number,
    content: string,
    options: Partial<Omit<TextElement, "kind" | "x" | "y" | "text">> = {},
  ) =>
    elements.push({
      kind: "text",
      x,
      y,
      text: content,
      size: options.size ?? THEME.tickSize,
      color: options.color ?? THEME.tickText,
      anchor: options.anchor ?? "start",
      bold: options.bold ?? false,
      vertical: options.vertical ?? false,
    });
  const line = (points: Point[], stroke: StrokeStyle) =>
    elements.push({ kind: "polyline", points, stroke });

  const allX = spec.panels.flatMap((panel) =>
    panel.series.flatMap((series) => series.points.map(([x]) => x))
  ).filter(Number.isFinite);
  let [xMin, xMax] = allX.length > 0 ? [Math.min(...allX), Math.max(...allX)] : [0, 1];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  const titleRow = 30;
  const tickRow = 26;
  const plotHeight = panelHeight - titleRow - tickRow;
  // Y axes first: the widest tick label decides the left margin, shared by all panels.
  const yAxes = spec.panels.map((panel) => {
    const finiteY = panel.series.flatMap((series) => series.points.map(([, y]) => y))
      .concat((panel.referenceLines ?? []).map((reference) => reference.value))
      .filter(Number.isFinite);
    const [min, max, step] = niceRange(
      finiteY.length > 0 ? Math.min(...finiteY) : NaN,
      finiteY.length > 0 ? Math.max(...finiteY) : NaN,
      Math.max(2, Math.floor(plotHeight / 40)),
    );
    const labels = ticksBetween(min, max, step).map((tick) => ({
      tick,
      label: formatTick(tick, step),
    }));
    return { min, max, labels };
  });
  const widestLabel = Math.max(
    0,
    ...yAxes.flatMap((axis) => axis.labels.map(({ label }) => measureText(label, THEME.tickSize))),
  );
  const yTitleX = 20;
  const left = Math.max(78, Math.ceil(yTitleX + 10 + widestLabel + 8));
  const right = width - 24;
  const xStep = Math.max(1, niceStep((xMax - xMin) / Math.max(2, Math.floor((right - left) / 90))));
  const xTicks = ticksBetween(xMin, xMax, xStep);
  const toX = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);

  let top = 16;
  if (spec.title !== undefined) {
    text(left, top + THEME.chartTitleSize, spec.title, {
      size: THEME.chartTitleSize,
      color: THEME.titleText,
      bold: true,
    });
    top += THEME.chartTitleSize + 14;
  }
  spec.panels.forEach((panel, panelIndex) => {
    const isLast = panelIndex === spec.panels.length - 1;
    const plotTop = top + titleRow;
    const plotBottom = top + panelHeight - tickRow;
    const { min: yMin, max: yMax, labels: yLabels } = yAxes[panelIndex];
    const toY = (y: number) => plotBottom - ((y - yMin) / (yMax - yMin)) * (plotBottom - plotTop);

    // Title on the left of the header row, legend on its right.
    text(left, top + 18, panel.title, {
      size: THEME.titleSize,
      color: THEME.titleText,
      bold: true,
    });
    const legend = [
      ...panel.series.map((series) => ({ ...series, dash: series.dash })),
      ...(panel.referenceLines ?? []).map((reference) => ({
        label: reference.label,
        color: reference.color,
        width: 2,
        dash: reference.dash ?? [6, 4],
      })),
    ];
    let legendX = right;
    for (const item of [...legend].reverse()) {
      const labelWidth = measureText(item.label, THEME.tickSize);
      const labelX = legendX - labelWidth;
      text(labelX, top + 17, item.label, { color: THEME.titleText });
      const sample: Point[] = [[labelX - 26, top + 13], [labelX - 6, top + 13]];
      line(sample, { color: item.color, width: item.width ?? 2, dash: item.dash });
      legendX = labelX - 26 - 16;
    }

    elements.push({
      kind: "rect",
      x: left,
      y: plotTop,
      width: right - left,
      height: plotBottom - plotTop,
      fill: THEME.plotBackground,
    });
    for (const { tick, label } of yLabels) {
      const y = Math.round(toY(tick)) + 0.5;
      if (tick !== yMin) line([[left, y], [right, y]], { color: THEME.grid, width: 1 });
      line([[left - 5, y], [left, y]], { color: THEME.axis, width: 1 });
      text(left - 8, y + 4, label, { anchor: "end" });
    }
    for (const tick of xTicks) {
      const x = Math.round(toX(tick)) + 0.5;
      if (tick !== xMin) line([[x, plotTop], [x, plotBottom]], { color: THEME.grid, width: 1 });
      line([[x, plotBottom], [x, plotBottom + 5]], { color: THEME.axis, width: 1 });
      text(x, plotBottom + 19, formatTick(tick, xStep), { anchor: "middle" });
    }
    const axisX = left + 0.5;
    const axisY = plotBottom + 0.5;
    line([[axisX, plotTop], [axisX, axisY], [right, axisY]], { color: THEME.axis, width: 1 });
    text(yTitleX, (plotTop + plotBottom) / 2, panel.yLabel, {
      anchor: "middle",
      vertical: true,
      color: THEME.titleText,
    });

    for (const reference of panel.referenceLines ?? []) {
      const y = toY(reference.value);
      line([[left, y], [right, y]], {
        color: reference.color,
        width: 1.5,
        dash: reference.dash ?? [6, 4],
      });
    }
    for (const series of panel.series) {
      for (const run of finiteRuns(series.points)) {
        const points: Point[] = run.map(([x, y]) => [toX(x), toY(y)]);
        // A lone point becomes a zero-length segment, which round caps draw as a dot.
        if (points.length === 1) points.push(points[0]);
        line(points, { color: series.color, width: series.width ?? 2, dash: series.dash });
      }
    }
    top += panelHeight;
    if (isLast) {
      text((left + right) / 2, top + 8, spec.xLabel, {
        anchor: "middle",
        color: THEME.titleText,
      });
      top += 22;
    }
  });
  return { width, height: Math.ceil(top + 4), background: THEME.background, elements };
}
