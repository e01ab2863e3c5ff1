import type { StoredEvent } from './store.ts';

/** Events younger than this are kept (up to the window's capacity), as kube-apiserver's watch cache keeps 75 s. */
export const EVENT_FRESH_MS = 75_000;
/** This many of the newest events are kept however old, so a quiet resource can still be resumed. */
const KEEP_AT_LEAST = 100;
/**
 * And no more than this much object text: twice what a watch may leave unread before the server
 * closes it (16 MiB), so a client closed for falling behind can still resume where it was.
 */
export const WINDOW_BYTES = 32 * 1024 * 1024;

/**
 * The recent events of one resource, oldest first, that a watch resumes from. One per resource, as
 * kube-apiserver keeps a watch cache per resource: with a single window for all, 10,000 nodes'
 * Lease renewals (1,000 events a second) pushed pod and VMI events out within 15 s, and a
 * client that fell briefly behind had to relist everything (410 Gone). Each event pins a version
 * of its object, so a window is bounded in bytes too, and events older than EVENT_FRESH_MS are let
 * go (trim): a burst does not pin its old object versions for good.
 */
export class EventWindow {
  private readonly capacity: number;
  private readonly maxBytes: number;
  private bytes = 0;
  /** Kept events from `start` on, with the time each was added. */
  private events: StoredEvent[] = [];
  private addedAt: number[] = [];
  private start = 0;
  /** The resourceVersion of the newest event let go: resuming from before it would miss events. */
  private lostUpTo = 0;

  constructor(capacity: number, maxBytes: number) {
    this.capacity = Math.max(1, capacity);
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.events.length - this.start;
  }

  push(ev: StoredEvent, now: number): void {
    this.events.push(ev);
    this.addedAt.push(now);
    this.bytes += ev.json.length;
    while (this.size > this.capacity || (this.bytes > this.maxBytes && this.size > 1)) this.dropOldest();
  }

  /** Lets go of the events added before `cutoff`, beyond the newest KEEP_AT_LEAST. */
  trim(cutoff: number): void {
    while (this.size > KEEP_AT_LEAST && this.addedAt[this.start] < cutoff) this.dropOldest();
  }

  /** Oldest resourceVersion a watch can resume from (exclusive); `floor`: events up to it were never kept. */
  oldestResumable(floor: number): number {
    return Math.max(floor, this.lostUpTo);
  }

  /** The events after `rv`, oldest first, or null if some of them are no longer kept. */
  since(rv: number, floor: number): StoredEvent[] | null {
    if (rv < this.oldestResumable(floor)) return null;
    let i = this.events.length;
    // Back from the newest: a resume is usually from a recent version.
    while (i > this.start && this.events[i - 1].rv > rv) i--;
    return this.events.slice(i);
  }

  private dropOldest(): void {
    const ev = this.events[this.start];
    this.lostUpTo = ev.rv;
    this.bytes -= ev.json.length;
    this.start++;
    // Drop the let-go head now and then rather than shifting the arrays on every event.
    if (this.start > 1024 && this.start * 2 > this.events.length) {
      this.events = this.events.slice(this.start);
      this.addedAt = this.addedAt.slice(this.start);
      this.start = 0;
    }
  }
}
