// Where an answer meets the HTTP request that may still carry it (the passive reply). Each
// WeChat delivery of a message opens a waiting request, keyed by the message's platform id,
// until its budget runs out. An answer is offered to the newest request still waiting
// (WeChat only listens to its latest try); the others are let go with "success". Whoever
// takes the offer reports whether the reply was written out, so the caller knows whether
// to fall back to the customer-service API. Everything here is synchronous bookkeeping:
// an offer and a deadline cannot both win. The request writes only once the offer is
// `ready` (the delivery recorded in the store): a crash after the write then cannot make
// the recovery send the same answer again another way.

export interface PassiveOffer {
  text: string;
  /** True once the reply may be written; false: reply "success" instead (and confirm false). */
  ready: Promise<boolean>;
  /** Called by the request once its reply was written out (true) or could not be (false). */
  confirm(written: boolean): void;
}

type State = "open" | "offered" | "closed";

/** A request waiting for its answer; `answer` resolves with the offer, or null to reply "success". */
export class WaitingRequest {
  private state: State = "open";
  private resolveAnswer!: (offer: PassiveOffer | null) => void;
  private timer: NodeJS.Timeout | null = null;
  readonly answer: Promise<PassiveOffer | null>;

  constructor(
    readonly key: string,
    private readonly board: PassiveReplies,
    waitMs: number,
  ) {
    this.answer = new Promise((resolve) => {
      this.resolveAnswer = resolve;
    });
    if (waitMs <= 0) this.release();
    else this.timer = setTimeout(() => this.release(), waitMs);
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Nothing (more) will come for this request: it replies "success". */
  release(): void {
    this.close();
    if (this.state === "closed") this.resolveAnswer(null);
  }

  /** The connection went away: nothing can be written on it any more. */
  abandon(): void {
    this.release();
  }

  /** Called by the board: this request takes the answer. */
  take(offer: PassiveOffer): void {
    if (this.timer) clearTimeout(this.timer);
    this.state = "offered";
    this.board.forget(this);
    this.resolveAnswer(offer);
  }

  private close(): void {
    if (this.state !== "open") return;
    if (this.timer) clearTimeout(this.timer);
    this.state = "closed";
    this.board.forget(this);
  }
}

export class PassiveReplies {
  private readonly waiting = new Map<string, WaitingRequest[]>();

  /** Opens a request for `key` that waits at most `waitMs` for an answer. */
  wait(key: string, waitMs: number): WaitingRequest {
    const request = new WaitingRequest(key, this, waitMs);
    if (request.isOpen) {
      const list = this.waiting.get(key) ?? [];
      list.push(request);
      this.waiting.set(key, list);
    }
    return request;
  }

  /**
   * Hands `text` to the newest request still waiting for `key`. Resolves true once that
   * request wrote it out, false when no request was waiting or the write failed. `record`
   * runs once a request has taken the offer and before it writes; when it resolves false
   * (or fails) nothing is written.
   */
  offer(key: string, text: string, record: () => Promise<boolean> = async () => true, confirmTimeoutMs = 30_000): Promise<boolean> {
    const list = this.waiting.get(key);
    const taker = list?.filter((r) => r.isOpen).at(-1);
    if (!list || !taker) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      // A write that neither finishes nor fails is taken as written: a second copy is worse than a lost one.
      const guard = setTimeout(() => confirm(true), confirmTimeoutMs);
      const confirm = (written: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        resolve(written);
      };
      taker.take({ text, confirm, ready: record().catch(() => false) });
      // Older tries of the same message: WeChat stopped listening to them.
      for (const other of [...list]) if (other !== taker) other.release();
    });
  }

  /** Requests still waiting for `key` (for tests and diagnostics). */
  waitingFor(key: string): number {
    return this.waiting.get(key)?.filter((r) => r.isOpen).length ?? 0;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** @internal */
  forget(request: WaitingRequest): void {
    const list = this.waiting.get(request.key);
    if (!list) return;
    const rest = list.filter((r) => r !== request);
    if (rest.length === 0) this.waiting.delete(request.key);
    else this.waiting.set(request.key, rest);
  }
}
