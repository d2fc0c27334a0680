/**
 * An RGB8 drawing surface with just what charts need: filled rectangles, anti-aliased (or
 * plain) polylines with optional dashes, and text in the built-in 5×7 bitmap font.
 *
 * @module
 */

import { FONT_ASCENT_ROWS, glyphFor, textColumns } from "./bitmap_font.ts";

/** A colour as `#rrggbb`. */
export type HexColor = string;

/** Thrown for a colour that is not `#rrggbb`. */
export class ColorFormatError extends RangeError {
  /** Creates the error naming the bad colour. */
  constructor(color: string) {
    super(`Colours must be written #rrggbb, got "${color}"`);
    this.name = "ColorFormatError";
  }
}

/** Parses `#rrggbb` into its three channels. */
export function parseHexColor(color: HexColor): [number, number, number] {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (match === null) throw new ColorFormatError(color);
  return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
}

/** A point in pixel coordinates, x to the right and y downwards. */
export type Point = readonly [number, number];

/** How a polyline is stroked. */
export interface StrokeStyle {
  /** Colour of the line. */
  color: HexColor;
  /** Line width in pixels. */
  width: number;
  /** Smooth edges by pixel coverage (default true); false gives hard, aliased edges. */
  antialias?: boolean;
  /** Alternating dash and gap lengths in pixels; solid when absent. */
  dash?: readonly number[];
}

/** Where text sits relative to its anchor point. */
export type TextAnchor = "start" | "middle" | "end";

/** How text is drawn. */
export interface TextStyle {
  /** Colour of the glyphs. */
  color: HexColor;
  /** Size of one font pixel in raster pixels (a whole number ≥ 1). */
  pixelSize: number;
  /** Horizontal alignment to the anchor point; default "start". */
  anchor?: TextAnchor;
  /** Draw rotated a quarter turn counter-clockwise, reading bottom to top (y-axis titles). */
  vertical?: boolean;
}

/** Splits a polyline into its dashes, following `pattern` (dash, gap, dash, …) along it. */
export function dashPolyline(points: readonly Point[], pattern: readonly number[]): Point[][] {
  if (pattern.length === 0 || pattern.some((length) => !(length > 0))) return [points.slice()];
  const dashes: Point[][] = [];
  let patternIndex = 0;
  let remaining = pattern[0];
  let current: Point[] | undefined = [points[0]];
  for (let index = 1; index < points.length; index++) {
    let [x0, y0] = points[index - 1];
    const [x1, y1] = points[index];
    let segment = Math.hypot(x1 - x0, y1 - y0);
    while (segment > remaining) {
      const t = remaining / segment;
      const split: Point = [x0 + (x1 - x0) * t, y0 + (y1 - y0) * t];
      if (current !== undefined) {
        current.push(split);
        dashes.push(current);
        current = undefined;
      } else {
        current = [split];
      }
      [x0, y0] = split;
      segment -= remaining;
      patternIndex = (patternIndex + 1) % pattern.length;
      remaining = pattern[patternIndex];
    }
    remaining -= segment;
    current?.push([x1, y1]);
  }
  if (current !== undefined && current.length > 1) dashes.push(current);
  return dashes;
}

/** An RGB8 image in memory; see the module documentation. */
export class Raster {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Pixels, row-major from the top, 3 bytes (R, G, B) each. */
  readonly pixels: Uint8Array;
  /** Per-pixel coverage of the shape being drawn, so overlapping segments blend only once. */
  #coverage: Float32Array;

  /** Creates a `width`×`height` raster filled with `background`. */
  constructor(width: number, height: number, background: HexColor = "#ffffff") {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`Raster size must be positive integers, got ${width}×${height}`);
    }
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3);
    this.#coverage = new Float32Array(width * height);
    this.pixels.set(parseHexColor(background));
    // Doubling copies fill the image in log₂(pixels) steps.
    for (let filled = 3; filled < this.pixels.length; filled *= 2) {
      this.pixels.copyWithin(filled, 0, Math.min(filled, this.pixels.length - filled));
    }
  }

  /** The colour at (x, y) as `#rrggbb`. */
  pixel(x: number, y: number): HexColor {
    const offset = (y * this.width + x) * 3;
    return "#" +
      Array.from(
        this.pixels.subarray(offset, offset + 3),
        (value) => value.toString(16).padStart(2, "0"),
      ).join("");
  }

  #blend(x: number, y: number, rgb: readonly number[], alpha: number): void {
    const offset = (y * this.width + x) * 3;
    if (alpha >= 1) {
      this.pixels[offset] = rgb[0];
      this.pixels[offset + 1] = rgb[1];
      this.pixels[offset + 2] = rgb[2];
      return;
    }
    for (let channel = 0; channel < 3; channel++) {
      const old = this.pixels[offset + channel];
      this.pixels[offset + channel] = Math.round(old + (rgb[channel] - old) * alpha);
    }
  }

  /** Fills a rectangle; fractional edges are blended by how much of each pixel they cover. */
  fillRect(x: number, y: number, width: number, height: number, color: HexColor): void {
    const rgb = parseHexColor(color);
    const [left, top] = [Math.max(0, x), Math.max(0, y)];
    const [right, bottom] = [Math.min(this.width, x + width), Math.min(this.height, y + height)];
    for (let row = Math.floor(top); row < Math.ceil(bottom); row++) {
      const rowCover = Math.min(bottom, row + 1) - Math.max(top, row);
      for (let column = Math.floor(left); column < Math.ceil(right); column++) {
        const columnCover = Math.min(right, column + 1) - Math.max(left, column);
        const alpha = rowCover * columnCover;
        if (alpha > 0) this.#blend(column, row, rgb, Math.min(1, alpha));
      }
    }
  }

  /** Strokes a polyline through `points` (round joins and caps). */
  strokePolyline(points: readonly Point[], style: StrokeStyle): void {
    if (points.length < 2) return;
    const pieces = style.dash ? dashPolyline(points, style.dash) : [points];
    for (const piece of pieces) this.#strokeSolid(piece, style);
  }

  #strokeSolid(points: readonly Point[], style: StrokeStyle): void {
    const rgb = parseHexColor(style.color);
    const half = style.width / 2;
    const antialias = style.antialias ?? true;
    const coverage = this.#coverage;
    let [minX, minY, maxX, maxY] = [this.width, this.height, -1, -1];
    for (let index = 1; index < points.length; index++) {
      const [x0, y0] = points[index - 1];
      const [x1, y1] = points[index];
      const left = Math.max(0, Math.floor(Math.min(x0, x1) - half - 1));
      const right = Math.min(this.width - 1, Math.ceil(Math.max(x0, x1) + half + 1));
      const top = Math.max(0, Math.floor(Math.min(y0, y1) - half - 1));
      const bottom = Math.min(this.height - 1, Math.ceil(Math.max(y0, y1) + half + 1));
      [minX, minY] = [Math.min(minX, left), Math.min(minY, top)];
      [maxX, maxY] = [Math.max(maxX, right), Math.max(maxY, bottom)];
      const [dx, dy] = [x1 - x0, y1 - y0];
      const lengthSquared = dx * dx + dy * dy;
      for (let row = top; row <= bottom; row++) {
        for (let column = left; column <= right; column++) {
          // Distance from the pixel centre to the segment.
          const [px, py] = [column + 0.5 - x0, row + 0.5 - y0];
          const t = lengthSquared > 0
            ? Math.min(1, Math.max(0, (px * dx + py * dy) / lengthSquared))
            : 0;
          const distance = Math.hypot(px - t * dx, py - t * dy);
          const cover = antialias
            ? Math.min(1, Math.max(0, half + 0.5 - distance))
            : distance <= Math.max(half, 0.5)
            ? 1
            : 0;
          const at = row * this.width + column;
          if (cover > coverage[at]) coverage[at] = cover;
        }
      }
    }
    for (let row = minY; row <= maxY; row++) {
      for (let column = minX; column <= maxX; column++) {
        const at = row * this.width + column;
        if (coverage[at] > 0) {
          this.#blend(column, row, rgb, coverage[at]);
          coverage[at] = 0;
        }
      }
    }
  }

  /** Width in raster pixels that {@link drawText} gives `text` at `pixelSize`. */
  static textWidth(text: string, pixelSize: number): number {
    return textColumns(text) * pixelSize;
  }

  /**
   * Draws `text` with its baseline at `y` (for vertical text: its baseline at `x`, centred
   * or aligned on `y` as `anchor` says, reading upwards).
   */
  drawText(text: string, x: number, y: number, style: TextStyle): void {
    const size = Math.max(1, Math.round(style.pixelSize));
    const rgb = parseHexColor(style.color);
    const width = Raster.textWidth(text, size);
    const shift = style.anchor === "middle" ? width / 2 : style.anchor === "end" ? width : 0;
    let pen = 0;
    for (const character of text) {
      const glyph = glyphFor(character);
      for (const [column, row] of glyph.pixels) {
        const along = Math.round(pen - shift) + column * size;
        const across = (row - FONT_ASCENT_ROWS) * size;
        for (let dy = 0; dy < size; dy++) {
          for (let dx = 0; dx < size; dx++) {
            const [px, py] = style.vertical
              ? [Math.round(x) + across + dy, Math.round(y) - along - dx - 1]
              : [Math.round(x) + along + dx, Math.round(y) + across + dy];
            if (px >= 0 && py >= 0 && px < this.width && py < this.height) {
              this.#blend(px, py, rgb, 1);
            }
          }
        }
      }
      pen += glyph.advance * size;
    }
  }
}
