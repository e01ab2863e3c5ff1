/**
 * Pending delays for up to hundreds of thousands of objects behind a single timer: a binary
 * min-heap of (due time, key, generation). Rescheduling a key bumps its generation; stale heap
 * entries are skipped when they surface, so a replace is O(log n) with no search.
 */
export class TimerQueue {
  private readonly heap: Array<{ at: number; key: string; gen: number }> = [];
  private readonly gens = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly onDue: (key: string) => void;
  private readonly granularityMs: number;
  private nextGen = 1;

  /**
   * `granularityMs`: the timer fires only on multiples of it, so keys due close together run in
   * one wake-up (10,000 Lease renewals a second become a few batches, not 1,000 timers).
   */
  constructor(onDue: (key: string) => void, { granularityMs = 0 }: { granularityMs?: number } = {}) {
    this.onDue = onDue;
    this.granularityMs = granularityMs;
  }

  /** Pending keys (not heap entries, which include superseded ones). */
  get size(): number {
    return this.gens.size;
  }

  has(key: string): boolean {
    return this.gens.has(key);
  }

  /** Schedules `key` at `at` (ms since the epoch), replacing any pending schedule of it. */
  schedule(key: string, at: number): void {
    const gen = this.nextGen++;
    this.gens.set(key, gen);
    this.push({ at, key, gen });
    if (this.slot(at) < this.timerAt) this.arm(at);
  }

  cancel(key: string): void {
    this.gens.delete(key);
  }

  clear(): void {
    this.gens.clear();
    this.heap.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private slot(at: number): number {
    const g = this.granularityMs;
    return g > 0 ? Math.ceil(at / g) * g : at;
  }

  private arm(dueAt: number): void {
    const at = this.slot(dueAt);
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - Date.now()));
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = Date.now();
    // Bounded batch so a burst of due jobs does not starve I/O.
    for (let n = 0; n < 10_000 && this.heap.length && this.heap[0]!.at <= now; n++) {
      const e = this.pop()!;
      if (this.gens.get(e.key) !== e.gen) continue;
      this.gens.delete(e.key);
      this.onDue(e.key);
    }
    while (this.heap.length && this.gens.get(this.heap[0]!.key) !== this.heap[0]!.gen) this.pop();
    if (this.heap.length) this.arm(this.heap[0]!.at);
  }

  private push(e: { at: number; key: string; gen: number }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): { at: number; key: string; gen: number } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!h.length || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
