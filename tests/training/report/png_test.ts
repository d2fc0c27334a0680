import assert from "node:assert/strict";
import { encodePng, PngEncodeError } from "../../../training/report/png.ts";
import { Raster } from "../../../training/report/raster.ts";
import { layoutLineChart } from "../../../training/report/line_chart.ts";
import { renderChartPng, renderChartRaster } from "../../../training/report/chart_raster.ts";
import { decodePng } from "./png_decode.ts";

Deno.test("encodePng writes a valid RGB8 file that decodes to the same pixels", () => {
  const [width, height] = [7, 5];
  const rgb = new Uint8Array(width * height * 3);
  for (let index = 0; index < rgb.length; index++) rgb[index] = (index * 37 + 11) & 0xff;
  const png = decodePng(encodePng(width, height, rgb));
  assert.deepEqual(png.chunkTypes, ["IHDR", "IDAT", "IEND"]);
  assert.deepEqual(
    [png.width, png.height, png.bitDepth, png.colorType, png.interlace],
    [7, 5, 8, 2, 0],
  );
  assert.deepEqual(png.rgb, rgb);
});

Deno.test("encodePng rejects a buffer of the wrong size", () => {
  assert.throws(() => encodePng(2, 2, new Uint8Array(11)), PngEncodeError);
  assert.throws(() => encodePng(0, 2, new Uint8Array(0)), PngEncodeError);
});

Deno.test("Raster draws rectangles, anti-aliased and plain lines, and text", () => {
  const raster = new Raster(40, 20, "#ffffff");
  raster.fillRect(2, 2, 3, 3, "#ff0000");
  assert.equal(raster.pixel(3, 3), "#ff0000");
  assert.equal(raster.pixel(5, 3), "#ffffff");
  raster.strokePolyline([[10, 10.5], [30, 10.5]], { color: "#000000", width: 1, antialias: false });
  assert.equal(raster.pixel(20, 10), "#000000");
  assert.equal(raster.pixel(20, 12), "#ffffff");
  // An anti-aliased diagonal leaves partly covered, grey pixels along its edge.
  raster.strokePolyline([[0, 19], [39, 12]], { color: "#000000", width: 1.5 });
  const greys = new Set<string>();
  for (let x = 0; x < 40; x++) {
    for (let y = 12; y < 20; y++) {
      const colour = raster.pixel(x, y);
      if (colour !== "#ffffff" && colour !== "#000000") greys.add(colour);
    }
  }
  assert.ok(greys.size > 3, "anti-aliasing produces intermediate shades");
  const text = new Raster(30, 12, "#ffffff");
  text.drawText("10", 1, 8, { color: "#0000ff", pixelSize: 1 });
  // "1" is the glyph 0x04 0x0c … trimmed to 3 columns: its stem is column 1, rows 1–7.
  assert.equal(text.pixel(2, 4), "#0000ff");
  assert.equal(text.pixel(1, 4), "#ffffff");
  assert.equal(Raster.textWidth("10", 2), 2 * (3 + 1 + 5));
});

Deno.test("a rendered chart PNG shows the background and a drawn curve pixel", () => {
  const drawing = layoutLineChart({
    width: 300,
    panelHeight: 150,
    xLabel: "Epoch",
    panels: [{
      title: "Loss",
      yLabel: "Loss",
      series: [{ label: "flat", color: "#ff0000", width: 3, points: [[1, 0.5], [10, 0.5]] }],
    }],
  });
  // Curves are drawn after their legend samples, so the last red polyline is the curve.
  const polyline = drawing.elements.findLast((element) =>
    element.kind === "polyline" && element.stroke.color === "#ff0000"
  );
  assert.ok(polyline?.kind === "polyline");
  const png = decodePng(renderChartPng(drawing, 1));
  const raster = renderChartRaster(drawing, 1);
  assert.equal(png.width, drawing.width);
  assert.equal(png.height, drawing.height);
  assert.deepEqual(png.rgb, raster.pixels);
  assert.equal(png.pixel(2, 2), "#ffffff", "background");
  const [[x0, y], [x1]] = polyline.points;
  assert.equal(png.pixel(Math.floor((x0 + x1) / 2), Math.floor(y)), "#ff0000", "curve pixel");
  // Scale 2 doubles the picture.
  const large = decodePng(renderChartPng(drawing, 2));
  assert.deepEqual([large.width, large.height], [2 * drawing.width, 2 * drawing.height]);
});
