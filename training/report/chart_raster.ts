/**
 * Renders a laid-out {@link ChartDrawing} into a {@link Raster} and a PNG file.
 *
 * @module
 */

import type { ChartDrawing } from "./line_chart.ts";
import { encodePng } from "./png.ts";
import { Raster } from "./raster.ts";

/**
 * Draws the chart at `scale` raster pixels per chart pixel (2 gives a sharp picture on
 * high-density screens and text large enough for the bitmap font to read well).
 */
export function renderChartRaster(drawing: ChartDrawing, scale = 2): Raster {
  if (!(scale > 0)) throw new RangeError(`Scale must be positive, got ${scale}`);
  const raster = new Raster(
    Math.ceil(drawing.width * scale),
    Math.ceil(drawing.height * scale),
    drawing.background,
  );
  for (const element of drawing.elements) {
    switch (element.kind) {
      case "rect":
        raster.fillRect(
          element.x * scale,
          element.y * scale,
          element.width * scale,
          element.height * scale,
          element.fill,
        );
        break;
      case "polyline":
        raster.strokePolyline(element.points.map(([x, y]) => [x * scale, y * scale]), {
          ...element.stroke,
          width: element.stroke.width * scale,
          dash: element.stroke.dash?.map((length) => length * scale),
        });
        break;
      case "text": {
        // Rounding down keeps the text within the width the layout measured.
        const pixelSize = Math.max(1, Math.floor((element.size * scale) / 8));
        const style = {
          color: element.color,
          pixelSize,
          anchor: element.anchor,
          vertical: element.vertical,
        };
        raster.drawText(element.text, element.x * scale, element.y * scale, style);
        // Bold: the same glyphs again one pixel over.
        if (element.bold) {
          const [x, y] = element.vertical
            ? [element.x * scale, element.y * scale - 1]
            : [element.x * scale + 1, element.y * scale];
          raster.drawText(element.text, x, y, style);
        }
        break;
      }
    }
  }
  return raster;
}

/**
 * The chart as a PNG file.
 *
 * @example
 * ```ts
 * import { layoutLineChart } from "./line_chart.ts";
 * import { renderChartPng } from "./chart_raster.ts";
 * const png = renderChartPng(layoutLineChart({
 *   xLabel: "Epoch",
 *   panels: [{ title: "Loss", yLabel: "loss", series: [] }],
 * }), 1);
 * ```
 */
export function renderChartPng(drawing: ChartDrawing, scale = 2): Uint8Array {
  const raster = renderChartRaster(drawing, scale);
  return encodePng(raster.width, raster.height, raster.pixels);
}
