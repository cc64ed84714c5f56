// Which reverse proxies to trust for the client address (LAWDESK_TRUST_PROXY). The client
// address is the one the trusted proxy saw: X-Forwarded-For is read from the right, skipping
// trusted hops, and the first untrusted entry is the client. Entries further left were
// written by the client itself and are never used (they would let anyone pick the address
// every per-address limit counts).
//
//   0                       no proxy: the socket's address (default)
//   N (1, 2 …)              N proxies in front, each appending one entry ("1" = one hop)
//   ADDR[,ADDR/PREFIX…]     the proxies' own addresses or CIDR ranges (also the keywords
//                           loopback, linklocal, uniquelocal)

import { isIP } from "node:net";

const KEYWORDS = new Set(["loopback", "linklocal", "uniquelocal"]);

function validEntry(entry: string): boolean {
  if (KEYWORDS.has(entry)) return true;
  const [addr, prefix, ...rest] = entry.split("/");
  const family = isIP(addr);
  if (!family || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** What fastify's `trustProxy` gets: false, a hop count, or the proxies' addresses. Throws on a wrong value. */
export function parseTrustProxy(value: string): false | number | string[] {
  const v = value.trim();
  if (v === "" || v === "0") return false;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 32) throw new Error("at most 32 proxy hops");
    return n;
  }
  const entries = v.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = entries.find((e) => !validEntry(e));
  if (bad !== undefined || entries.length === 0) throw new Error(`not a hop count, address or CIDR range: ${bad ?? v}`);
  return entries;
}

/** fastify's `trustProxy` for a parsed setting: a hop count becomes "trust the nearest N hops". */
export function trustProxyOption(setting: false | number | string[]): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== "number") return setting;
  const hops = setting;
  return hops === 0 ? false : (_address, hop) => hop < hops;
}
