/**
 * Renders a laid-out {@link ChartDrawing} as standalone SVG text.
 *
 * @module
 */

import type { ChartDrawing, ChartElement } from "./line_chart.ts";

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Coordinates with at most two decimals keep the SVG small. */
function number(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function renderElement(element: ChartElement): string {
  switch (element.kind) {
    case "rect":
      return `<rect x="${number(element.x)}" y="${number(element.y)}" ` +
        `width="${number(element.width)}" height="${number(element.height)}" ` +
        `fill="${element.fill}"/>`;
    case "polyline": {
      const points = element.points.map(([x, y]) => `${number(x)},${number(y)}`).join(" ");
      const { color, width, dash, antialias } = element.stroke;
      const dashAttribute = dash ? ` stroke-dasharray="${dash.map(number).join(" ")}"` : "";
      const crisp = antialias === false ? ` shape-rendering="crispEdges"` : "";
      return `<polyline points="${points}" fill="none" stroke="${color}" ` +
        `stroke-width="${number(width)}" stroke-linejoin="round" stroke-linecap="round"` +
        `${dashAttribute}${crisp}/>`;
    }
    case "text": {
      const rotate = element.vertical
        ? ` transform="rotate(-90 ${number(element.x)} ${number(element.y)})"`
        : "";
      const weight = element.bold ? ` font-weight="600"` : "";
      return `<text x="${number(element.x)}" y="${number(element.y)}" ` +
        `font-size="${number(element.size)}" fill="${element.color}" ` +
        `text-anchor="${element.anchor}"${weight}${rotate}>${escapeXml(element.text)}</text>`;
    }
  }
}

/**
 * The chart as an SVG document (usable as a file or inline in HTML).
 *
 * @example
 * ```ts
 * import { layoutLineChart } from "./line_chart.ts";
 * import { renderChartSvg } from "./chart_svg.ts";
 * const svg = renderChartSvg(layoutLineChart({
 *   xLabel: "Epoch",
 *   panels: [{ title: "Loss", yLabel: "loss", series: [] }],
 * }));
 * ```
 */
export function renderChartSvg(drawing: ChartDrawing): string {
  const body = drawing.elements.map((element) => "  " + renderElement(element)).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${drawing.width}" ` +
    `height="${drawing.height}" viewBox="0 0 ${drawing.width} ${drawing.height}" ` +
    `font-family="Helvetica, Arial, sans-serif">\n` +
    `  <rect width="100%" height="100%" fill="${drawing.background}"/>\n${body}\n</svg>\n`;
}
