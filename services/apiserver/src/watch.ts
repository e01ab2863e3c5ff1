/**
 * One watch stream (a chunked HTTP response of JSON lines). Events matching no filter are skipped;
 * the common case (same version, no selector change, not a Table) writes the event's shared bytes.
 * A client that reads too slowly is disconnected once its socket buffer passes the bound, so a
 * stuck watcher never holds memory without limit; it resumes from its last resourceVersion.
 */
import type { ServerResponse } from 'node:http';
import { eventLine, type Labels, type StoredEvent, type WatcherSink } from './store.ts';

export interface WatchFilter {
  ns?: string;
  name?: string;
  labels?: (l: Labels) => boolean;
  fields?: (ns: string, name: string, f: Record<string, string> | undefined) => boolean;
}

export interface WatchOptions {
  res: ServerResponse;
  filter: WatchFilter;
  maxBufferedBytes: number;
  /** Bytes of events a watch may hold back while its client reads its initial state. */
  maxHeldBytes: number;
  /** Rewrites an event object for the client (another version, a Table row); null when not needed. */
  transform: ((json: string, type: string) => string) | null;
  onClose: () => void;
}

/** The line around an event's object: {"type":"MODIFIED","object":...}\n */
const EVENT_LINE_BYTES = 30;

/** What the initial state may have unread in the socket before the next part waits for the client. */
const INITIAL_PART_BYTES = 1024 * 1024;

export class WatchStream implements WatcherSink {
  private readonly o: WatchOptions;
  closed = false;
  slowClosed = false;
  lastRv = 0;
  /** Events at or below this were already in what the client got (its initial list, or its resume point). */
  minRv = 0;
  /** Bytes the initial replay left buffered: the bound applies to what comes after. */
  private baseline = 0;
  /** Until replayed(): the initial state or the resumed events are being written, unbounded. */
  private replaying = true;
  sent = 0;
  /** Events that came while the initial state was being sent: they follow it, in order. */
  private held: StoredEvent[] | null = null;
  private heldBytes = 0;
  /** Bytes of the initial state not written yet. */
  private initialLeft = 0;

  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    // ServerResponse.uncork uncorks the socket first and then writes the chunk it held as four or
    // more writes (size line, CRLF, each event, CRLF), one syscall each; corked around it, the
    // socket sends them in one.
    const socket = this.o.res.socket;
    socket?.cork();
    this.o.res.uncork();
    socket?.uncork();
  };
  private readonly uncorkIfCorked = () => {
    if (this.corked) this.uncork();
  };

  constructor(o: WatchOptions) {
    this.o = o;
    o.res.on('close', () => this.close());
  }

  private matchesWith(ev: StoredEvent, labels: Labels | undefined, fields: Record<string, string> | undefined): boolean {
    const f = this.o.filter;
    if (f.ns && ev.ns !== f.ns) return false;
    if (f.name && ev.name !== f.name) return false;
    if (f.labels && !f.labels(labels ?? {})) return false;
    if (f.fields && !f.fields(ev.ns, ev.name, fields)) return false;
    return true;
  }

  /** Whether a MODIFIED event's object was in this watch's selection before the change (out of it now: DELETED). */
  private selectedBefore(ev: StoredEvent): boolean {
    return ev.type === 'MODIFIED' && this.matchesWith(ev, ev.prevLabels, ev.prevFields);
  }

  deliver(ev: StoredEvent): void {
    if (this.closed || ev.rv <= this.minRv) return;
    const f = this.o.filter;
    const now = this.matchesWith(ev, ev.labels, ev.fields);
    if (this.held) {
      if (!now && !this.selectedBefore(ev)) return;
      this.held.push(ev);
      this.heldBytes += ev.json.length + EVENT_LINE_BYTES;
      if (this.heldBytes > this.o.maxHeldBytes) this.close(true);
      return;
    }
    let type: string = ev.type;
    if (ev.type === 'MODIFIED' && (f.labels || f.fields)) {
      // An object that moved into or out of the selection is seen as added or deleted.
      const before = this.matchesWith(ev, ev.prevLabels, ev.prevFields);
      if (!now && !before) return;
      if (now && !before) type = 'ADDED';
      else if (!now && before) type = 'DELETED';
    } else if (!now) return;
    this.lastRv = ev.rv;
    if (type === ev.type && !this.o.transform) this.write(eventLine(ev));
    else this.writeObject(type, ev.json);
  }

  /** About how many bytes replaying `events` would send this client (those it selects, before or after). */
  replayBytes(events: StoredEvent[]): number {
    let n = 0;
    for (const ev of events) {
      if (ev.rv <= this.minRv) continue;
      if (this.matchesWith(ev, ev.labels, ev.fields) || this.selectedBefore(ev)) n += ev.json.length + EVENT_LINE_BYTES;
    }
    return n;
  }

  writeObject(type: string, json: string): void {
    const body = this.o.transform ? this.o.transform(json, type) : json;
    this.write(`{"type":"${type}","object":${body}}\n`);
  }

  /**
   * Sends the initial state (the objects' JSON as of minRv) as ADDED events, a part at a time as
   * the client reads: 100,000 VMIs are about 300 MB, which must not sit whole in the server's
   * memory for each client that lists by watching. Events that come meanwhile are held
   * (references to the store's own) and follow `end` in order, so the stream has no gap however
   * long the client takes; one that lets more than maxHeldBytes of them pile up is closed as slow.
   */
  sendInitial(jsons: string[], end: () => void): void {
    this.held = [];
    for (const j of jsons) this.initialLeft += j.length + EVENT_LINE_BYTES;
    let i = 0;
    const pump = () => {
      if (this.closed) return;
      while (i < jsons.length && this.o.res.writableLength < INITIAL_PART_BYTES) {
        const json = jsons[i++]!;
        this.initialLeft -= json.length + EVENT_LINE_BYTES;
        this.writeObject('ADDED', json);
      }
      // Past the socket's high-water mark the last write returned false, so 'drain' will come.
      if (i < jsons.length) {
        this.o.res.once('drain', pump);
        return;
      }
      const held = this.held ?? [];
      this.held = null;
      this.heldBytes = 0;
      end();
      for (const ev of held) this.deliver(ev);
      this.replayed();
    };
    pump();
  }

  /** Everything the client has still to read: unread bytes, the initial state not sent yet, held events. */
  backlogBytes(): number {
    return this.o.res.writableLength + this.initialLeft + this.heldBytes;
  }

  /**
   * How far the client fell behind since its replay (what the slow-client bound applies to): its
   * unread bytes past what is left of the replay, which shrinks as the client reads it.
   */
  private behindBytes(): number {
    const unread = this.o.res.writableLength;
    if (unread < this.baseline) this.baseline = unread;
    return unread - this.baseline;
  }

  /** Marks the end of the initial replay. */
  replayed(): void {
    this.replaying = false;
    this.baseline = this.o.res.writableLength;
  }

  write(chunk: Buffer | string): void {
    if (this.closed) return;
    // Unread bytes from earlier events past the bound: this client is not keeping up.
    if (!this.replaying && this.behindBytes() > this.o.maxBufferedBytes) {
      this.close(true);
      return;
    }
    this.sent++;
    // Events of one tick go out in one socket write (one syscall, one TLS record batch).
    if (!this.corked) {
      this.corked = true;
      this.o.res.cork();
      process.nextTick(this.uncorkIfCorked);
    }
    this.o.res.write(chunk);
  }

  /** Ends the stream; `slow`: the client stopped reading, so its buffered bytes are dropped too. */
  close(slow = false): void {
    if (this.closed) return;
    this.closed = true;
    this.slowClosed = slow;
    this.o.onClose();
    if (this.corked) this.uncork();
    if (!this.o.res.writableEnded) this.o.res.end();
    // A reader that does not read would keep the socket (and its buffer) forever.
    if (slow) this.o.res.socket?.destroy();
  }
}
