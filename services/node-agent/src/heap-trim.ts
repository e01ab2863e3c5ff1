type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Collects and compacts the heap now, when the process was started with --expose-gc (as `virtsim
 * up` starts agents); a no-op otherwise. Taking or handing over slots is a burst: 10,000 node
 * registrations, their Leases and first stages, or dropping half of them. V8 grows the old
 * generation for the burst and, with heartbeats allocating steadily afterwards, never runs the
 * memory-reducing GC that would give it back: an agent that had registered all 10,000 nodes
 * kept ~680 MiB RSS for ~130 MiB of live objects.
 */
export function trimHeap(): boolean {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

/**
 * Trims the heap after a slot move, and again while the move's work goes on (Lease takeovers
 * and first stages run for a minute or so after the assignment is applied, on a busy machine).
 */
export class HeapTrimmer {
  private timers: NodeJS.Timeout[] = [];
  private readonly delaysMs: number[];
  private readonly onTrim: () => void;

  constructor(onTrim: () => void, delaysMs = [0, 15_000, 30_000, 60_000, 120_000]) {
    this.onTrim = onTrim;
    this.delaysMs = delaysMs;
  }

  /** A move was applied: trims now and after each delay; a later move starts the series again. */
  afterMove(): void {
    this.stop();
    this.timers = this.delaysMs.map((ms) => setTimeout(() => trimHeap() && this.onTrim(), ms).unref());
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
