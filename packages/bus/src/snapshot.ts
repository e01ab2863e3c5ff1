import { createInbox, headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from 'nats';
import { SLOT_COUNT, assertSlot } from './slot.ts';
import { SNAPSHOT_SUBJECT } from './subjects.ts';
import { stripManagedFields, type KubeObject } from './envelope.ts';

// Snapshot protocol (core NATS request/reply, one request, several replies):
//   request  on virtsim.snapshot, reply subject = the requester's inbox, body {"slots":[...]}
//   replies  on that inbox, body = JSON array of SnapshotItem, headers virtsim-snapshot-part = 0,1,2…
//            and virtsim-snapshot-last = "true" on the final part; virtsim-error (final) on failure.
// A snapshot can be far larger than NATS's max_payload (1 MiB by default), hence the parts.

export interface SnapshotItem {
  kind: string;
  node: string;
  object: KubeObject;
  /**
   * Serving side only: the object as JSON without managedFields, when the provider holds it as
   * text; sent as is in place of `object` (which then needs only its metadata, for onSkip).
   */
  json?: string;
}

const PART = 'virtsim-snapshot-part';
const LAST = 'virtsim-snapshot-last';
const ERROR = 'virtsim-error';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type SnapshotProvider = (
  slots: number[],
) => Iterable<SnapshotItem> | AsyncIterable<SnapshotItem> | Promise<Iterable<SnapshotItem> | AsyncIterable<SnapshotItem>>;

function parseRequest(data: Uint8Array): number[] {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new Error(`snapshot request body is not JSON (${(err as Error).message})`);
  }
  const slots = (body as { slots?: unknown })?.slots;
  if (!Array.isArray(slots)) throw new Error('snapshot request: field slots must be an array of slot numbers');
  for (const s of slots) assertSlot(s as number, 'snapshot request: slots[]');
  return slots as number[];
}

export interface SnapshotServeOptions {
  /** Replicas in one queue group share requests (only one of them answers each). */
  queue?: string;
  onError?: (err: Error) => void;
  /**
   * An object too large for one message (over max_payload) is left out of the snapshot instead of
   * failing it, which would stop every agent owning its slots from ever resyncing.
   */
  onSkip?: (item: SnapshotItem, bytes: number, limit: number) => void;
}

/**
 * Serves snapshots on virtsim.snapshot. `provider` lists the current objects of the requested
 * slots; the reply is cut into parts below the server's max_payload.
 */
export function serveSnapshots(nc: NatsConnection, provider: SnapshotProvider, opts: SnapshotServeOptions = {}): Subscription {
  const budget = Math.max(16 * 1024, (nc.info?.max_payload ?? 1024 * 1024) - 16 * 1024);
  const respond = async (m: Msg) => {
    if (!m.reply) return;
    let part = 0;
    const send = (body: string, last: boolean, error?: string) => {
      const h = natsHeaders();
      h.set(PART, String(part++));
      if (last) h.set(LAST, 'true');
      if (error) h.set(ERROR, error);
      nc.publish(m.reply!, encoder.encode(body), { headers: h });
    };
    try {
      const slots = parseRequest(m.data);
      const items = await provider(slots);
      let chunk: string[] = [];
      let size = 2;
      for await (const item of items) {
        const json =
          item.json === undefined
            ? JSON.stringify({ kind: item.kind, node: item.node, object: stripManagedFields(item.object) })
            : `{"kind":${JSON.stringify(item.kind)},"node":${JSON.stringify(item.node)},"object":${item.json}}`;
        // Bytes, not string length: max_payload counts bytes, and a label may be all multi-byte.
        const bytes = Buffer.byteLength(json);
        if (bytes + 2 > budget) {
          opts.onSkip?.(item, bytes, budget);
          continue;
        }
        if (chunk.length > 0 && size + bytes + 1 > budget) {
          send(`[${chunk.join(',')}]`, false);
          chunk = [];
          size = 2;
        }
        chunk.push(json);
        size += bytes + 1;
      }
      send(`[${chunk.join(',')}]`, true);
    } catch (err) {
      opts.onError?.(err as Error);
      send('[]', true, (err as Error).message || String(err));
    }
  };
  return nc.subscribe(SNAPSHOT_SUBJECT, {
    queue: opts.queue,
    callback: (err, m) => {
      if (err) {
        opts.onError?.(err);
        return;
      }
      void respond(m);
    },
  });
}

/**
 * Requests the objects of `slots` from the serving watcher. Rejects when no watcher serves
 * snapshots, when a part does not arrive within `timeoutMs` of the previous one, or when the
 * watcher reports an error.
 */
export async function requestSnapshot(nc: NatsConnection, slots: number[], opts: { timeoutMs?: number } = {}): Promise<SnapshotItem[]> {
  for (const s of slots) assertSlot(s, 'requestSnapshot: slots[]');
  if (slots.length > SLOT_COUNT) throw new Error(`requestSnapshot: more than ${SLOT_COUNT} slots`);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const items: SnapshotItem[] = [];
  try {
    nc.publish(SNAPSHOT_SUBJECT, encoder.encode(JSON.stringify({ slots })), { reply: inbox });
    const it = sub[Symbol.asyncIterator]();
    for (let expected = 0; ; expected++) {
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        it.next(),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (next === 'timeout') throw new Error(`snapshot of ${slots.length} slots: no reply part ${expected} within ${timeoutMs} ms`);
      if (next.done) throw new Error(`snapshot of ${slots.length} slots: subscription closed before the last part`);
      const m = next.value;
      if (m.headers?.code === 503) throw new Error('snapshot: no watcher is serving virtsim.snapshot (no responders)');
      const error = m.headers?.has(ERROR) ? m.headers.get(ERROR) : '';
      if (error) throw new Error(`snapshot: the watcher failed: ${error}`);
      const part = Number(m.headers?.get(PART));
      if (part !== expected) throw new Error(`snapshot: got part ${m.headers?.get(PART) ?? '(none)'}, expected ${expected}`);
      let body: unknown;
      try {
        body = JSON.parse(decoder.decode(m.data));
      } catch (err) {
        throw new Error(`snapshot part ${part}: body is not JSON (${(err as Error).message})`);
      }
      if (!Array.isArray(body)) throw new Error(`snapshot part ${part}: body is not an array`);
      for (const item of body as SnapshotItem[]) items.push(item);
      if (m.headers?.get(LAST) === 'true') return items;
    }
  } finally {
    sub.unsubscribe();
  }
}
