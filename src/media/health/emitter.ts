/**
 * A minimal typed event emitter: listeners run synchronously in registration order; a listener
 * that throws is counted and reported to `onListenerError`, never propagated to the emitter.
 */
export type Listener<T> = (event: T) => void;

export class TypedEmitter<M extends { [K in keyof M]: unknown }> {
  private readonly listeners = new Map<keyof M, Listener<never>[]>();
  /** Listener exceptions caught so far. */
  listenerErrors = 0;
  /** Called with each caught listener exception (default: nothing besides the counter). */
  onListenerError: ((err: unknown, event: keyof M) => void) | null = null;

  on<K extends keyof M>(event: K, fn: Listener<M[K]>): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(fn as Listener<never>);
    this.listeners.set(event, list);
    return () => this.off(event, fn);
  }

  off<K extends keyof M>(event: K, fn: Listener<M[K]>): void {
    const list = this.listeners.get(event);
    if (!list) return;
    const i = list.indexOf(fn as Listener<never>);
    if (i >= 0) list.splice(i, 1);
  }

  protected emit<K extends keyof M>(event: K, payload: M[K]): void {
    const list = this.listeners.get(event);
    if (!list) return;
    for (const fn of [...list]) {
      try {
        (fn as Listener<M[K]>)(payload);
      } catch (err) {
        this.listenerErrors++;
        this.onListenerError?.(err, event);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
