/**
 * LIST and WATCH: resourceVersion / resourceVersionMatch rules, limit + continue, selectors,
 * Table output, watch resumption from the event window (410 Expired beyond it), bookmarks,
 * sendInitialEvents, timeoutSeconds. Lists stream the stored JSON texts without re-encoding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceType } from './resources.ts';
import type { ListSnapshots, ListedEntry } from './list-at-version.ts';
import { parseSelection } from './selectors.ts';
import { StatusError, badRequest, expired, invalid } from './status.ts';
import type { Store } from './store.ts';
import { columnDefinitions, tableRow, tableShape, wantsTable, type IncludeObject } from './table.ts';
import type { Cuttable } from './faults.ts';
import { WatchStream } from './watch.ts';

type Obj = Record<string, any>;

export interface ListWatchConfig {
  store: Store;
  watchBufferBytes: number;
  /** Older states rebuilt for LISTs at an older resourceVersion, kept for the pages that follow. */
  listSnapshots: ListSnapshots;
  bookmarkIntervalMs: number;
  /** Whether watches may list (sendInitialEvents): kube-apiserver's WatchList feature gate. */
  watchList: boolean;
  onWatchChange?: (delta: number) => void;
  /**
   * A watch closed as slow: its client fell more than watchBufferBytes behind, or let more events
   * pile up than a watch may hold while its client reads its initial state.
   */
  onSlowWatcherClosed?: (resource: string, backlogBytes: number, userAgent: string | undefined) => void;
  /** The API fault mode, which cuts open watches (unset: off). */
  faults?: { watchOpened(w: Cuttable): () => void };
}

/** Rewrites stored JSON (storage version) into the version the client asked for. */
export function converter(rt: ResourceType): ((json: string) => string) | null {
  const c = rt.convert;
  if (c) return (json) => JSON.stringify(c.fromStored(JSON.parse(json)));
  if (rt.version === rt.storageVersion) return null;
  const from = `{"apiVersion":"${apiVersionOf({ group: rt.group, version: rt.storageVersion })}"`;
  const to = `{"apiVersion":"${apiVersionOf(rt)}"`;
  return (json) => (json.startsWith(from) ? to + json.slice(from.length) : json);
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest('continue key is not valid: invalid continue token');
  }
}

function parseRv(q: URLSearchParams, sendInitialEvents = false): { rv: string | null; match: string | null } {
  const rv = q.get('resourceVersion');
  const match = q.get('resourceVersionMatch');
  if (match && match !== 'Exact' && match !== 'NotOlderThan')
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  if (match && !rv && !sendInitialEvents) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (rv && rv !== '0' && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return { rv, match };
}

export function list(cfg: ListWatchConfig, rt: ResourceType, ns: string | undefined, q: URLSearchParams, accept: string | undefined, res: ServerResponse): void {
  const { store } = cfg;
  const sel = parseSelection(rt, ns, q);
  const { rv, match } = parseRv(q);
  const current = store.resourceVersion;
  const cont = q.get('continue');
  if (cont && rv) throw badRequest('specifying resource version is not allowed when using continue');
  /** Set when the list is of an older state than the current one. */
  let atRv: number | undefined;
  if (rv && rv !== '0') {
    const n = Number(rv);
    if (n > current)
      throw new StatusError(504, 'Timeout', `Too large resource version: ${n}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    if (match === 'Exact' && n !== current) atRv = n;
  }
  const limitRaw = q.get('limit');
  let limit = limitRaw ? Number(limitRaw) : 0;
  if (!Number.isFinite(limit) || limit < 0) limit = 0;
  // kube-apiserver ignores limit for resourceVersion=0 reads from its cache.
  if (rv === '0' && !cont) limit = 0;
  let listRv = current;
  let after: string | undefined;
  if (cont) {
    const t = decodeContinue(cont);
    listRv = t.rv;
    after = t.start;
    if (t.rv < current) atRv = t.rv;
  }
  let source: Iterable<ListedEntry> = store.scan(rt.storeKey, ns, after);
  let remainingAfter = (key: string) => store.countAfter(rt.storeKey, ns, key);
  if (atRv !== undefined) {
    const snapshot = cfg.listSnapshots.at(rt.storeKey, ns, atRv);
    // Older than the event window: an exact read is gone (etcd's compaction answers the same).
    // A later page whose first page is that old goes on with the current state, as before: the
    // window is far shorter than etcd's five minutes, and a 410 there would restart big lists.
    if (!snapshot && !cont) throw expired(`The resourceVersion for the provided list is too old.`);
    if (snapshot) {
      source = snapshot.after(after);
      remainingAfter = (key) => snapshot.countAfter(key);
      listRv = atRv;
    }
  } else cfg.listSnapshots.dropIdle();
  const conv = converter(rt);
  const table = wantsTable(accept);
  const listMeta: Obj = { resourceVersion: String(listRv) };
  const items: string[] = [];
  let lastKey: string | undefined;
  let more = false;
  for (const e of source) {
    if (!sel.everything && !sel.matches(e)) continue;
    if (limit && items.length >= limit) {
      more = true;
      break;
    }
    items.push(conv ? conv(e.json) : e.json);
    lastKey = e.ns + '/' + e.name;
  }
  if (more && lastKey !== undefined) {
    listMeta.continue = encodeContinue({ rv: listRv, start: lastKey });
    if (sel.everything) listMeta.remainingItemCount = remainingAfter(lastKey);
  }
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  if (table) {
    const shape = tableShape(rt);
    const now = Date.now();
    const inc = includeObject(q);
    const rows = items.map((j) => tableRow(JSON.parse(j), shape, inc, now));
    res.end(JSON.stringify({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: columnDefinitions(shape), rows }));
    return;
  }
  res.write(`{"kind":"${rt.listKind}","apiVersion":"${apiVersionOf(rt)}","metadata":${JSON.stringify(listMeta)},"items":[`);
  // Written in slices, waiting for the socket to drain: one huge string (or buffering all of a
  // 100k-object list in the socket) would hold a second copy of everything.
  const CHUNK = 256;
  let i = 0;
  const pump = (): void => {
    while (i < items.length) {
      const slice = items.slice(i, i + CHUNK).join(',');
      const more = res.write(i === 0 ? slice : ',' + slice);
      i += CHUNK;
      if (!more && i < items.length) {
        res.once('drain', pump);
        return;
      }
    }
    res.end(']}');
  };
  pump();
}

/** How a watch rewrites each event's object: into the version asked for, or a Table row (null: as stored). */
function watchTransform(rt: ResourceType, q: URLSearchParams, accept: string | undefined): ((json: string, type: string) => string) | null {
  const conv = converter(rt);
  if (!wantsTable(accept)) return conv ? (j) => conv(j) : null;
  const shape = tableShape(rt);
  const inc = includeObject(q);
  let first = true;
  return (j) => {
    const o = JSON.parse(conv ? conv(j) : j);
    const t: Obj = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: o.metadata?.resourceVersion ?? '' } };
    // Column definitions go with the first event only, as kube-apiserver sends them.
    if (first) t.columnDefinitions = columnDefinitions(shape);
    else t.columnDefinitions = [];
    first = false;
    t.rows = [tableRow(o, shape, inc, Date.now())];
    return JSON.stringify(t);
  };
}

export function watch(cfg: ListWatchConfig, rt: ResourceType, ns: string | undefined, q: URLSearchParams, accept: string | undefined, req: IncomingMessage, res: ServerResponse): void {
  const { store } = cfg;
  const sel = parseSelection(rt, ns, q);
  const sendInitial = q.get('sendInitialEvents') === 'true';
  if (q.has('sendInitialEvents') && !cfg.watchList)
    throw invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' }]);
  const { rv, match } = parseRv(q, sendInitial);
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  if (sendInitial && (match !== 'NotOlderThan' || !bookmarks))
    throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true');
  if (!sendInitial && match) throw badRequest(`resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided`);
  const transform = watchTransform(rt, q, accept);
  let timer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let forget: (() => void) | undefined;
  const stream: WatchStream = new WatchStream({
    res,
    filter: sel.filter,
    maxBufferedBytes: cfg.watchBufferBytes,
    // A client reading a 100,000-VMI initial state takes a minute or two under load; the events of
    // that time must wait for it rather than close it (it would start over, and never catch up).
    maxHeldBytes: 8 * cfg.watchBufferBytes,
    transform,
    onClose: () => {
      if (stream.slowClosed) cfg.onSlowWatcherClosed?.(rt.resource, stream.backlogBytes(), req.headers['user-agent']);
      store.removeWatcher(rt.storeKey, stream);
      if (timer) clearTimeout(timer);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      forget?.();
      cfg.onWatchChange?.(-1);
    },
  });
  cfg.onWatchChange?.(1);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  const bookmark = (annotations?: Record<string, string>, rv = Math.max(store.publishedResourceVersion, stream.minRv)) => {
    const md: Obj = { resourceVersion: String(rv) };
    if (annotations) md.annotations = annotations;
    stream.write(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: md })}}\n`);
  };

  const initial = sendInitial || !rv || rv === '0';
  const startBookmarks = () => {
    if (bookmarks && cfg.bookmarkIntervalMs > 0 && !stream.closed) bookmarkTimer = setInterval(() => bookmark(), cfg.bookmarkIntervalMs);
  };
  if (initial) {
    // The listed state includes writes whose events may still wait for their fsync: skip those.
    stream.minRv = store.resourceVersion;
    const jsons: string[] = [];
    for (const e of store.scan(rt.storeKey, ns)) if (sel.everything || sel.matches(e)) jsons.push(e.json);
    // Registered first: what changes while the client reads its initial state is held for it.
    store.addWatcher(rt.storeKey, stream);
    stream.sendInitial(jsons, () => {
      if (sendInitial) bookmark({ 'k8s.io/initial-events-end': 'true' });
      startBookmarks();
    });
  } else {
    const from = Number(rv);
    stream.minRv = from;
    const events = store.eventsSince(rt.storeKey, from);
    // A backlog bigger than a watch may leave unread is answered as gone too: a client that fell
    // that far behind catches up by listing (each object once) rather than reading every event,
    // and would be closed again for being slow before it got through them.
    const tooOld = events === null ? `too old resource version: ${from} (${store.oldestResumable(rt.storeKey) + 1})`
      : stream.replayBytes(events) > cfg.watchBufferBytes ? `too old resource version: ${from} (${events.length} events since, more than a watch may buffer)`
      : undefined;
    if (tooOld !== undefined || events === null) {
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: tooOld, reason: 'Expired', code: 410 };
      stream.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      stream.close();
      return;
    }
    for (const ev of events) stream.deliver(ev);
    if (stream.closed) return;
    stream.replayed();
    store.addWatcher(rt.storeKey, stream);
    startBookmarks();
  }
  if (stream.closed) return;
  // A cut is a dropped connection, not a clean end: the client sees its stream fail mid-way.
  forget = cfg.faults?.watchOpened({ cut: () => res.socket?.destroy() });
  const timeout = Number(q.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timer = setTimeout(() => stream.close(), timeout * 1000);
  req.on('close', () => stream.close());
}
