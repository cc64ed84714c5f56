// The Wechaty login QR as an SVG image for the console: drawn on the server by the qrcode
// package, so the page shows it as a plain <img> (no script, no CDN).

import QRCode from "qrcode";

/** QR modules of blank margin around the code: the quiet zone scanners need. */
export const QUIET_ZONE = 4;

/** An SVG image of the QR code for `text` (UTF-8, error correction M). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: QUIET_ZONE });
}
