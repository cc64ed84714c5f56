// The Wechaty login QR drawn as SVG on the server, with the QR encoder that ships inside
// qrcode-terminal (already a dependency for the terminal's login QR): no extra package,
// no CDN, and the console shows it as a plain <img>.

import { createRequire } from "node:module";

interface QrModel {
  addData(data: string): void;
  make(): void;
  getModuleCount(): number;
  isDark(row: number, col: number): boolean;
}

const require = createRequire(import.meta.url);
const QRCode = require("qrcode-terminal/vendor/QRCode/index.js") as new (typeNumber: number, level: number) => QrModel;
const QRErrorCorrectLevel = require("qrcode-terminal/vendor/QRCode/QRErrorCorrectLevel.js") as { L: number; M: number; Q: number; H: number };

/** The dark modules of the QR code for `text` (true = dark), row by row. */
export function qrMatrix(text: string): boolean[][] {
  const qr = new QRCode(-1, QRErrorCorrectLevel.M);
  // The encoder writes one byte per character code: hand it the UTF-8 bytes as such.
  qr.addData(Buffer.from(text, "utf8").toString("latin1"));
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

/** An SVG image of the QR code with the 4-module quiet zone scanners need. */
export function qrSvg(text: string, moduleSize = 6): string {
  const m = qrMatrix(text);
  const quiet = 4;
  const size = (m.length + quiet * 2) * moduleSize;
  let path = "";
  m.forEach((row, r) =>
    row.forEach((dark, c) => {
      if (dark) path += `M${(c + quiet) * moduleSize} ${(r + quiet) * moduleSize}h${moduleSize}v${moduleSize}h-${moduleSize}z`;
    }),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="${path}"/></svg>`;
}
