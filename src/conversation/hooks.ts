// A small typed listener list. A listener's failure (thrown or rejected) is reported to
// `onError` and never reaches the core: one broken subscriber must not stop answering.

export type Listener<T> = (event: T) => void | Promise<void>;

export class Hook<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        const r = listener(event);
        if (r && typeof (r as Promise<void>).catch === "function") (r as Promise<void>).catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
