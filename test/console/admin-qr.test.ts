// The Wechaty login QR the console shows (an SVG drawn by the qrcode package): it scans back
// to the login link, UTF-8 included, and keeps the quiet zone a phone camera needs. The SVG
// is rasterised here and read with jsQR, an independent decoder.

import jsQR from "jsqr";
import { describe, expect, test } from "vitest";
import { QUIET_ZONE, qrSvg } from "../../src/console/admin/qr-svg.ts";

/** The dark modules of the SVG's path (moves and horizontal runs, one module high), and its size in modules. */
function modulesOf(svg: string): { size: number; dark: boolean[][] } {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const path = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1] ?? "";
  const dark = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of path.matchAll(/([MmHh])([-\d.]+)(?:[ ,]([-\d.]+))?/g)) {
    if (op === "M") [x, y] = [Number(a), Number(b)];
    else if (op === "m") [x, y] = [x + Number(a), y + Number(b)];
    else {
      const end = op === "h" ? x + Number(a) : Number(a);
      for (let c = x; c < end; c++) dark[Math.floor(y)][c] = true;
      x = end;
    }
  }
  return { size, dark };
}

/** What a camera would read from the SVG: 4 pixels per module, black on white. */
function scan(svg: string): string | null {
  const { size, dark } = modulesOf(svg);
  const scale = 4;
  const w = size * scale;
  const pixels = new Uint8ClampedArray(w * w * 4).fill(255);
  for (let py = 0; py < w; py++)
    for (let px = 0; px < w; px++)
      if (dark[Math.floor(py / scale)][Math.floor(px / scale)]) pixels.fill(0, (py * w + px) * 4, (py * w + px) * 4 + 3);
  return jsQR(pixels, w, w)?.data ?? null;
}

describe("login QR", () => {
  const payload = "https://login.weixin.qq.com/l/IbTestQr0123==";

  test("scans back to the login link, UTF-8 included", async () => {
    expect(scan(await qrSvg(payload))).toBe(payload);
    expect(scan(await qrSvg("http://weixin.qq.com/x/中文登录"))).toBe("http://weixin.qq.com/x/中文登录");
  });

  test("keeps the quiet zone blank and starts the finder pattern right after it", async () => {
    const { size, dark } = modulesOf(await qrSvg(payload));
    expect((size - 2 * QUIET_ZONE - 17) % 4).toBe(0); // a QR code of a valid version
    const inQuietZone = (r: number, c: number) => Math.min(r, c) < QUIET_ZONE || Math.max(r, c) >= size - QUIET_ZONE;
    expect(dark.flatMap((row, r) => row.map((d, c) => d && inQuietZone(r, c))).some(Boolean)).toBe(false);
    expect(dark[QUIET_ZONE][QUIET_ZONE]).toBe(true);
  });
});
