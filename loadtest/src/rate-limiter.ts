/**
 * A token bucket with kube-burner's meaning of qps and burst: up to `burst` requests at once, then
 * `qps` a second on average. Takers are served in order.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(qps: number, burst = qps) {
    if (!(qps > 0)) throw new Error(`rate must be > 0, got ${qps}`);
    this.qps = qps;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.last = performance.now();
  }

  /** Resolves when one request may go; rejects nothing, resolves early when the signal aborts. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.waitForToken(signal));
    this.tail = turn;
    return turn;
  }

  private async waitForToken(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = ((1 - this.tokens) / this.qps) * 1000;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, waitMs));
        function done() {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}
