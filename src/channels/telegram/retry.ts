// Telegram's flood control: a 429 answer carries parameters.retry_after (seconds). This API
// transformer waits that long and tries again, a few times, instead of failing the send.
// (The same job as @grammyjs/auto-retry, in a few lines and without another dependency.)

import type { Transformer } from "grammy";

/** How often and how long to wait when Telegram answers 429 (flood control). */
export interface RetryOptions {
  /** Retries after the first 429 (default 3). */
  maxRetries?: number;
  /** A longer wait than this is not sat out: the error goes back to the caller (the outbox retries later). */
  maxWaitSeconds?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { method: string; retryAfter: number; attempt: number }) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A grammY API transformer that waits Telegram's `retry_after` and retries, instead of failing a send.
 *
 * @example
 * ```ts
 * bot.api.config.use(retryAfterFloodLimit({ maxRetries: 3, maxWaitSeconds: 60 }));
 * ```
 */
export function retryAfterFloodLimit(opts: RetryOptions = {}): Transformer {
  const maxRetries = opts.maxRetries ?? 3;
  const maxWait = opts.maxWaitSeconds ?? 60;
  const sleep = opts.sleep ?? defaultSleep;
  return async (prev, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      const res = await prev(method, payload, signal);
      const retryAfter = res.ok ? undefined : res.parameters?.retry_after;
      if (res.ok || res.error_code !== 429 || retryAfter === undefined || attempt > maxRetries || retryAfter > maxWait) return res;
      opts.onRetry?.({ method, retryAfter, attempt });
      await sleep(retryAfter * 1000);
    }
  };
}
