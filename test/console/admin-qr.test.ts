// The Wechaty login QR drawn on the server: the three finder patterns where a scanner looks
// for them, the quiet zone, UTF-8 payloads, and — where the qrcode package happens to be
// installed (a dependency of wechaty's file-box) — module-for-module agreement with it.

import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import { qrMatrix, qrSvg } from "../../src/console/admin/qr-svg.ts";

const require = createRequire(import.meta.url);
let reference: { create(data: unknown, opts: unknown): { modules: { size: number; get(r: number, c: number): number } } } | null = null;
try {
  reference = require("qrcode");
} catch {
  reference = null;
}

/** A 7x7 finder: dark ring, light ring, dark 3x3 core. */
function isFinder(m: boolean[][], top: number, left: number): boolean {
  for (let r = 0; r < 7; r++)
    for (let c = 0; c < 7; c++) {
      const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
      if (m[top + r][left + c] !== (ring !== 2)) return false;
    }
  return true;
}

describe("login QR", () => {
  const payload = "https://login.weixin.qq.com/l/IbTestQr0123==";

  test("has the finder patterns of a QR code of a valid size", () => {
    const m = qrMatrix(payload);
    const n = m.length;
    expect((n - 17) % 4).toBe(0);
    expect(isFinder(m, 0, 0) && isFinder(m, 0, n - 7) && isFinder(m, n - 7, 0)).toBe(true);
  });

  test("the SVG keeps a 4-module quiet zone and scales the modules", () => {
    const n = qrMatrix(payload).length;
    const svg = qrSvg(payload, 5);
    expect(svg).toContain(`width="${(n + 8) * 5}"`);
    expect(svg).toMatch(/^<svg [^>]*>.*<\/svg>$/);
    expect(svg).toContain("M20 20h5v5h-5z"); // top-left finder starts after the quiet zone
  });

  test.skipIf(!reference)("agrees with the qrcode package module for module (same mask)", () => {
    for (const text of [payload, "http://weixin.qq.com/x/中文"]) {
      const mine = qrMatrix(text);
      const same = [...Array(8).keys()].some((mask) => {
        const ref = reference!.create([{ data: Buffer.from(text, "utf8"), mode: "byte" }], { errorCorrectionLevel: "M", maskPattern: mask, version: (mine.length - 17) / 4 });
        return mine.every((row, r) => row.every((dark, c) => dark === !!ref.modules.get(r, c)));
      });
      expect(same, text).toBe(true);
    }
  });
});
