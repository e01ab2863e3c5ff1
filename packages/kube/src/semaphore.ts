/**
 * Bounds how many async operations run at once; waiters are served in order, urgent ones first
 * (a node's heartbeat must not wait behind thousands of queued object writes: kube-apiserver's
 * priority and fairness gives node Leases their own level for the same reason).
 */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];
  private readonly urgent: Array<() => void> = [];

  constructor(limit: number) {
    this.available = limit;
  }

  async acquire(urgent = false): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => (urgent ? this.urgent : this.waiters).push(resolve));
  }

  release(): void {
    const next = this.urgent.shift() ?? this.waiters.shift();
    if (next) next();
    else this.available++;
  }

  get queued(): number {
    return this.waiters.length + this.urgent.length;
  }
}
