/**
 * Pictures and pages of training runs: line charts laid out once and rendered to SVG or to
 * a PNG (own raster, bitmap font and encoder), the training-progress chart, and the HTML
 * experiment report.
 *
 * @module
 */

export {
  type ChartDrawing,
  type ChartElement,
  type ChartPanel,
  type ChartReferenceLine,
  type ChartSeries,
  formatTick,
  layoutLineChart,
  type LineChartSpec,
  measureText,
  niceStep,
  type PolylineElement,
  type RectElement,
  type TextElement,
  ticksBetween,
} from "./line_chart.ts";
export { escapeXml, renderChartSvg } from "./chart_svg.ts";
export { renderChartPng, renderChartRaster } from "./chart_raster.ts";
export {
  ColorFormatError,
  dashPolyline,
  type HexColor,
  parseHexColor,
  type Point,
  Raster,
  type StrokeStyle,
  type TextAnchor,
  type TextStyle,
} from "./raster.ts";
export { encodePng, PNG_SIGNATURE, PngEncodeError } from "./png.ts";
export {
  TRAINING_CHART_COLORS,
  type TrainingChartOptions,
  trainingChartSpec,
} from "./training_chart.ts";
export {
  type ExperimentStatus,
  formatDuration,
  type HtmlReportInput,
  renderHtmlReport,
  type ReportPrediction,
} from "./html_report.ts";
