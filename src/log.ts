// Structured logs with pino. Personal data (ID-card, phone and bank-card numbers) is
// masked inside every string the logger writes, whatever field it sits in.

import pino, { type Logger, type LoggerOptions } from "pino";
import { maskPersonalData } from "./privacy.ts";

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskPersonalData(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { type: value.name, message: maskPersonalData(value.message), stack: maskPersonalData(value.stack ?? "") };
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

export function createLogger(level = "info", destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { app: "lawdesk" },
    formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
    hooks: {
      // Masks the message string too (pino passes it separately from the object).
      logMethod(args, method) {
        method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}
