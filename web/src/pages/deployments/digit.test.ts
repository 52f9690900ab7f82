import { describe, expect, it } from "vitest";

import { greyLevels, toMnist } from "./digit";

function canvas(width: number, height: number, ink: (x: number, y: number) => boolean): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const v = ink(x, y) ? 255 : 0;
      rgba.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return rgba;
}

function bounds(image: number[][]) {
  const rows = image.map((row, y) => (row.some((v) => v > 0.1) ? y : -1)).filter((y) => y >= 0);
  const cols = image[0]!.map((_, x) => (image.some((row) => (row[x] ?? 0) > 0.1) ? x : -1)).filter((x) => x >= 0);
  return { top: rows[0]!, bottom: rows[rows.length - 1]!, left: cols[0]!, right: cols[cols.length - 1]! };
}

describe("toMnist", () => {
  it("gives nothing for an empty pad", () => {
    expect(toMnist(greyLevels(canvas(280, 280, () => false), 280, 280))).toBeNull();
  });

  it("fits a tall stroke drawn in a corner into 20 pixels, centred in 28x28", () => {
    // a vertical bar 20 wide and 200 tall near the top-left corner
    const rgba = canvas(280, 280, (x, y) => x >= 10 && x < 30 && y >= 5 && y < 205);
    const image = toMnist(greyLevels(rgba, 280, 280));
    expect(image).not.toBeNull();
    expect(image).toHaveLength(28);
    expect(image![0]).toHaveLength(28);
    const box = bounds(image!);
    expect(box.bottom - box.top + 1).toBe(20);
    expect(box.top).toBe(4);
    expect(box.left).toBeGreaterThanOrEqual(12);
    expect(box.right).toBeLessThanOrEqual(15);
    expect(Math.max(...image!.flat())).toBeLessThanOrEqual(1);
  });

  it("keeps a wide shape's proportions", () => {
    const rgba = canvas(280, 280, (x, y) => x >= 40 && x < 240 && y >= 130 && y < 150);
    const box = bounds(toMnist(greyLevels(rgba, 280, 280))!);
    expect(box.right - box.left + 1).toBe(20);
    expect(box.bottom - box.top + 1).toBeLessThanOrEqual(3);
  });
});
