import type { Context } from '@opentelemetry/api';
import type { NatsConnection, Subscription } from 'nats';
import { connectNats, type BusLogger, type ManagedNatsConnection, type NatsConnectionOptions } from './connection.ts';
import { BusDecodeError, MAX_EVENT_BYTES, decodeEvent, encodeEvent, type DecodedEvent, type ObjectEvent } from './envelope.ts';
import { assertSlot } from './slot.ts';
import { eventSubject } from './subjects.ts';
import { requestSnapshot, serveSnapshots, type SnapshotItem, type SnapshotProvider, type SnapshotServeOptions } from './snapshot.ts';

export interface SlotEventHandlers {
  /** Called for every well-formed event of a subscribed slot, in publish order per slot. */
  onEvent(event: DecodedEvent): void;
  /** Called for a message that is not a well-formed event (garbage never reaches onEvent). */
  onBadMessage(error: BusDecodeError): void;
}

/**
 * An agent's subscriptions: one NATS subscription per owned slot. setSlots() follows the
 * coordinator's assignment: new slots are subscribed before the caller asks for their snapshot,
 * revoked ones unsubscribed.
 */
export class SlotSubscriber {
  private readonly nc: NatsConnection;
  private readonly handlers: SlotEventHandlers;
  private readonly maxEventBytes: number;
  private readonly subs = new Map<number, Subscription>();

  constructor(nc: NatsConnection, handlers: SlotEventHandlers, maxEventBytes = MAX_EVENT_BYTES) {
    this.nc = nc;
    this.handlers = handlers;
    this.maxEventBytes = maxEventBytes;
  }

  get slots(): number[] {
    return [...this.subs.keys()].sort((a, b) => a - b);
  }

  add(slots: Iterable<number>): void {
    for (const slot of slots) {
      assertSlot(slot);
      if (this.subs.has(slot)) continue;
      this.subs.set(
        slot,
        this.nc.subscribe(eventSubject(slot), {
          callback: (err, m) => {
            if (err) {
              this.handlers.onBadMessage(new BusDecodeError(eventSubject(slot), `subscription error: ${err.message}`));
              return;
            }
            let event: DecodedEvent;
            try {
              event = decodeEvent(m.subject, m.data, m.headers, this.maxEventBytes);
            } catch (e) {
              this.handlers.onBadMessage(e instanceof BusDecodeError ? e : new BusDecodeError(m.subject, String(e)));
              return;
            }
            this.handlers.onEvent(event);
          },
        }),
      );
    }
  }

  remove(slots: Iterable<number>): void {
    for (const slot of slots) {
      this.subs.get(slot)?.unsubscribe();
      this.subs.delete(slot);
    }
  }

  /** Subscribes to exactly `slots`; returns which were added and which removed. */
  setSlots(slots: Iterable<number>): { added: number[]; removed: number[] } {
    const want = new Set(slots);
    const removed = this.slots.filter((s) => !want.has(s));
    const added = [...want].filter((s) => !this.subs.has(s)).sort((a, b) => a - b);
    this.remove(removed);
    this.add(added);
    return { added, removed };
  }

  close(): void {
    this.remove(this.slots);
  }
}

export interface BusOptions extends NatsConnectionOptions {}

/**
 * The fleet's use of NATS in one place: the watcher publishes object changes and serves
 * snapshots; agents subscribe to their slots and request snapshots.
 */
export class Bus {
  private readonly conn: ManagedNatsConnection;
  readonly log: BusLogger | undefined;

  private constructor(conn: ManagedNatsConnection, log: BusLogger | undefined) {
    this.conn = conn;
    this.log = log;
  }

  static async connect(opts: BusOptions): Promise<Bus> {
    return new Bus(await connectNats(opts), opts.log);
  }

  /** The underlying nats.js connection, for what the facade does not cover. */
  get nc(): NatsConnection {
    return this.conn.nc;
  }

  get connected(): boolean {
    return this.conn.connected;
  }

  /** Called after every reconnect: resync from a snapshot (see ManagedNatsConnection.onReconnect). */
  onReconnect(listener: () => void): void {
    this.conn.onReconnect(listener);
  }

  /** Publishes a change on its node's slot subject; the trace context of `ctx` goes in the headers. */
  publish(event: ObjectEvent, ctx?: Context): void {
    const m = encodeEvent(event, ctx);
    this.conn.nc.publish(m.subject, m.data, { headers: m.headers });
  }

  /** `maxEventBytes`: larger bodies go to onBadMessage (code 'too_large') unread. */
  subscribeSlots(handlers: SlotEventHandlers, opts: { maxEventBytes?: number } = {}): SlotSubscriber {
    return new SlotSubscriber(this.conn.nc, handlers, opts.maxEventBytes);
  }

  serveSnapshots(provider: SnapshotProvider, opts: SnapshotServeOptions = {}): Subscription {
    return serveSnapshots(this.conn.nc, provider, opts);
  }

  requestSnapshot(slots: number[], opts: { timeoutMs?: number } = {}): Promise<SnapshotItem[]> {
    return requestSnapshot(this.conn.nc, slots, opts);
  }

  /** Round trip to the server: everything published before has reached it. */
  flush(): Promise<void> {
    return this.conn.nc.flush();
  }

  /** Drains (delivers what is in flight, flushes publishes) and closes. */
  close(): Promise<void> {
    return this.conn.close();
  }
}
