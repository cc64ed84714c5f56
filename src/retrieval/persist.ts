// A tiny binary bundle: a JSON header plus named typed arrays, so indexes load without
// re-parsing large JSON (vocabularies stay in the header; numbers go in the arrays).
import { readFileSync, writeFileSync } from "node:fs";

export type NumArray = Float32Array | Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

const CTORS = { Float32Array, Float64Array, Uint32Array, Int32Array, Uint16Array, Uint8Array } as const;
type CtorName = keyof typeof CTORS;
const MAGIC = "LDB1";

export interface Bundle {
  meta: unknown;
  arrays: Record<string, NumArray>;
}

export function encodeBundle(b: Bundle): Buffer {
  const layout: Array<{ name: string; type: CtorName; offset: number; length: number }> = [];
  let offset = 0;
  for (const [name, arr] of Object.entries(b.arrays)) {
    offset = Math.ceil(offset / 8) * 8; // aligned so views can be made without copying
    layout.push({ name, type: arr.constructor.name as CtorName, offset, length: arr.length });
    offset += arr.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ meta: b.meta, layout }), "utf8");
  const dataStart = Math.ceil((8 + header.length) / 8) * 8;
  const out = Buffer.alloc(dataStart + offset);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  for (const l of layout) {
    const arr = b.arrays[l.name];
    Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(out, dataStart + l.offset);
  }
  return out;
}

export function decodeBundle(buf: Buffer): Bundle {
  if (buf.toString("latin1", 0, 4) !== MAGIC) throw new Error("not a lawdesk index bundle");
  const hlen = buf.readUInt32LE(4);
  const { meta, layout } = JSON.parse(buf.toString("utf8", 8, 8 + hlen)) as {
    meta: unknown;
    layout: Array<{ name: string; type: CtorName; offset: number; length: number }>;
  };
  const dataStart = Math.ceil((8 + hlen) / 8) * 8;
  const arrays: Record<string, NumArray> = {};
  for (const l of layout) {
    const Ctor = CTORS[l.type];
    const bytes = l.length * Ctor.BYTES_PER_ELEMENT;
    // Copy into a fresh aligned buffer: Node's pooled Buffers are not 8-byte aligned.
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(dataStart + l.offset, dataStart + l.offset + bytes));
    arrays[l.name] = new Ctor(copy.buffer);
  }
  return { meta, arrays };
}

export function writeBundle(path: string, b: Bundle): void {
  writeFileSync(path, encodeBundle(b));
}

export function readBundle(path: string): Bundle {
  return decodeBundle(readFileSync(path));
}
