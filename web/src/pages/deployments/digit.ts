/**
 * A drawing as MNIST saw its digits: the ink's bounding box scaled to fit 20×20 pixels (keeping
 * its shape), placed so its centre of mass sits at the centre of a 28×28 image, values in [0, 1],
 * white ink on black.
 */

export const SIDE = 28;
const BOX = 20;
const INK = 0.1;

export interface Pixels {
  /** Grey levels in [0, 1], row after row. */
  values: Float32Array | number[];
  width: number;
  height: number;
}

/** Grey levels of RGBA bytes (a canvas's ImageData), by luminance. */
export function greyLevels(rgba: Uint8ClampedArray | number[], width: number, height: number): Pixels {
  const values = new Float32Array(width * height);
  for (let i = 0; i < width * height; i += 1) {
    const r = rgba[i * 4] ?? 0;
    const g = rgba[i * 4 + 1] ?? 0;
    const b = rgba[i * 4 + 2] ?? 0;
    values[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
  return { values, width, height };
}

interface Box {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

function inkBox({ values, width, height }: Pixels): Box | null {
  let top = height;
  let left = width;
  let bottom = -1;
  let right = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if ((values[y * width + x] ?? 0) > INK) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  return bottom < 0 ? null : { top, left, bottom, right };
}

/** Area-average resampling of a region of `pixels` to `width`×`height` (a fair shrink, no aliasing). */
function resample(pixels: Pixels, box: Box, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const boxWidth = box.right - box.left + 1;
  const boxHeight = box.bottom - box.top + 1;
  const sx = boxWidth / width;
  const sy = boxHeight / height;
  for (let ty = 0; ty < height; ty += 1) {
    const y0 = ty * sy;
    const y1 = y0 + sy;
    for (let tx = 0; tx < width; tx += 1) {
      const x0 = tx * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y += 1) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        if (wy <= 0) continue;
        for (let x = Math.floor(x0); x < Math.ceil(x1); x += 1) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          if (wx <= 0) continue;
          const sourceX = Math.min(box.left + x, pixels.width - 1);
          const sourceY = Math.min(box.top + y, pixels.height - 1);
          sum += (pixels.values[sourceY * pixels.width + sourceX] ?? 0) * wx * wy;
          area += wx * wy;
        }
      }
      out[ty * width + tx] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** The 28×28 image (rows of values in [0, 1]) of a drawing, or null when nothing is drawn. */
export function toMnist(pixels: Pixels): number[][] | null {
  const box = inkBox(pixels);
  if (!box) return null;
  const boxWidth = box.right - box.left + 1;
  const boxHeight = box.bottom - box.top + 1;
  const scale = BOX / Math.max(boxWidth, boxHeight);
  const width = Math.max(1, Math.round(boxWidth * scale));
  const height = Math.max(1, Math.round(boxHeight * scale));
  const digit = resample(pixels, box, width, height);

  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const v = digit[y * width + x] ?? 0;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  mass = Math.max(mass, 1e-6);
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);
  const top = clamp(Math.round(SIDE / 2 - 0.5 - cy / mass), SIDE - height);
  const left = clamp(Math.round(SIDE / 2 - 0.5 - cx / mass), SIDE - width);

  return Array.from({ length: SIDE }, (_, row) =>
    Array.from({ length: SIDE }, (_, column) => {
      const y = row - top;
      const x = column - left;
      if (y < 0 || y >= height || x < 0 || x >= width) return 0;
      return Math.round(Math.min(1, digit[y * width + x] ?? 0) * 1000) / 1000;
    }),
  );
}
