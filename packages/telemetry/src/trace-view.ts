import { lifecycleSpanId } from './lifecycle-ids.ts';
import { LIFECYCLE_ROOT_ATTR } from './tracing.ts';
import type { StoredSpan } from './span-store.ts';

// What `virtsim trace` and the load test report show of a lifecycle trace: its spans as a tree
// in time order (rows of a waterfall), and the slowest lifecycles of a run with the phase that
// took longest.

export interface WaterfallRow {
  span: StoredSpan;
  depth: number;
  /** What the row is waiting on, for a phase: the writer that ended it, as the fleet or the control plane. */
  waitingFor?: string;
}

export interface Waterfall {
  title: string;
  traceId: string;
  /** Root span duration (ms): creation until Running (VMI) or done (migration); undefined while unfinished. */
  durationMs?: number;
  start: number;
  end: number;
  rows: WaterfallRow[];
  /** Rows left out (startupOnly). */
  hiddenRows?: number;
}

const isRoot = (s: StoredSpan) => s.attributes[LIFECYCLE_ROOT_ATTR] !== undefined;
const isPhase = (s: StoredSpan) => s.attributes['virtsim.phase'] !== undefined && s.name.startsWith('phase ');

/** virt-handler's work is the fleet's in virtsim; any other writer is the control plane (or a user). */
export function writerSide(writer: string): string {
  if (writer === 'deleted') return 'deletion';
  return /virt-handler|node-agent|kwok|virtsim-agent/.test(writer) ? `fleet: ${writer}` : `control plane: ${writer}`;
}

/** The trace of one object: `name` or `namespace/name`; the newest of its lifecycles. */
export function findLifecycle(spans: StoredSpan[], ref: string): string {
  const matches = (obj: unknown) => typeof obj === 'string' && (ref.includes('/') ? obj === ref : obj.endsWith(`/${ref}`));
  const candidates = spans.filter((s) => (isRoot(s) || isPhase(s)) && matches(s.attributes['k8s.object']));
  if (candidates.length === 0) {
    throw new Error(`no trace of ${JSON.stringify(ref)} in the span store (not sampled, not created in this run, or still in its first phase)`);
  }
  const objects = new Set(candidates.map((s) => s.attributes['k8s.object']));
  if (objects.size > 1) throw new Error(`${JSON.stringify(ref)} names several objects (${[...objects].join(', ')}): give namespace/name`);
  return candidates.reduce((a, b) => (b.start > a.start ? b : a)).traceId;
}

/** The spans of a trace as waterfall rows: depth-first from the root, children in start order. */
export function buildWaterfall(spans: StoredSpan[], traceId: string): Waterfall {
  const mine = spans.filter((s) => s.traceId === traceId);
  if (mine.length === 0) throw new Error(`no spans of trace ${traceId}`);
  const root = mine.find(isRoot);
  if (root) mine.push(...openPhases(root, mine));
  const ids = new Set(mine.map((s) => s.spanId));
  const children = new Map<string, StoredSpan[]>();
  const tops: StoredSpan[] = [];
  for (const s of mine) {
    // A span whose parent is not stored (the root of an unfinished lifecycle) is shown at the top.
    if (s.parentSpanId && ids.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else tops.push(s);
  }
  const byStart = (a: StoredSpan, b: StoredSpan) => a.start - b.start || a.end - b.end;
  const rows: WaterfallRow[] = [];
  const walk = (s: StoredSpan, depth: number) => {
    const by = s.attributes['virtsim.phase.ended_by'];
    rows.push({ span: s, depth, ...(isPhase(s) && typeof by === 'string' ? { waitingFor: writerSide(by) } : {}) });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) walk(c, depth + 1);
  };
  for (const t of tops.sort(byStart)) walk(t, 0);
  const anyObject = mine.find((s) => s.attributes['k8s.object'])?.attributes;
  return {
    title: root?.name ?? `${anyObject?.['k8s.kind'] ?? 'object'} ${anyObject?.['k8s.object'] ?? '?'} (not Running yet)`,
    traceId,
    durationMs: root ? root.end - root.start : undefined,
    start: Math.min(...mine.map((s) => s.start)),
    end: Math.max(...mine.map((s) => s.end)),
    rows,
  };
}

const LATER_PHASES = ['Running', 'Succeeded', 'Failed'];

/**
 * The phase the object is still in has no span yet (it is exported when the phase ends); the
 * fleet's spans under it name its id, derived from the UID: shown as an open phase from the end
 * of the root to the last of them.
 */
function openPhases(root: StoredSpan, mine: StoredSpan[]): StoredSpan[] {
  const uid = root.attributes['k8s.uid'];
  if (typeof uid !== 'string') return [];
  const have = new Set(mine.map((s) => s.spanId));
  const open: StoredSpan[] = [];
  for (const phase of LATER_PHASES) {
    const spanId = lifecycleSpanId(uid, phase);
    if (have.has(spanId)) continue;
    const under = mine.filter((s) => s.parentSpanId === spanId);
    if (under.length === 0) continue;
    const start = Math.min(root.end, ...under.map((s) => s.start));
    open.push({
      traceId: root.traceId,
      spanId,
      parentSpanId: root.spanId,
      name: `phase ${phase}`,
      service: root.service,
      start,
      end: Math.max(...under.map((s) => s.end)),
      attributes: { 'virtsim.phase': phase, 'virtsim.phase.open': true },
    });
  }
  return open;
}

export const formatMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

/**
 * The startup part of a waterfall: rows that began before the root ended (creation until
 * Running); the rest (a running VMI's later events, its stop) only with `whole`.
 */
export function startupOnly(w: Waterfall): Waterfall {
  const root = w.rows.find((r) => r.depth === 0 && isRoot(r.span))?.span;
  if (!root) return w;
  const rows = w.rows.filter((r) => r.span.start < root.end);
  return { ...w, rows, end: root.end, hiddenRows: w.rows.length - rows.length };
}

/** The waterfall as text: label, who (service, or for a phase what ended it), a bar on the time axis, duration. */
export function renderWaterfall(w: Waterfall, barWidth = 48): string {
  const span = Math.max(w.end - w.start, 0.001);
  const col = (t: number) => Math.min(barWidth - 1, Math.floor(((t - w.start) / span) * barWidth));
  const head = `${w.title}   trace ${w.traceId}${w.durationMs !== undefined ? `   ${formatMs(w.durationMs)} to ${w.rows[0]?.span.attributes['virtsim.outcome'] ?? 'done'}` : ''}`;
  const lines = [head, `${''.padEnd(40)} ${'who (phase: ended by)'.padEnd(38)} |0 ms${formatMs(span).padStart(barWidth - 4)}|`];
  for (const r of w.rows) {
    const s = r.span;
    const from = col(s.start);
    const to = Math.max(from, col(Math.min(s.end, w.end)));
    const bar = ' '.repeat(from) + (r.depth === 0 ? '=' : isPhase(s) ? '#' : '-').repeat(to - from + 1);
    const label = `${'  '.repeat(r.depth)}${rowName(r)}`.slice(0, 40).padEnd(40);
    const who = (r.waitingFor ? r.waitingFor : s.attributes['virtsim.phase.open'] ? '(still in it)' : s.service).slice(0, 38).padEnd(38);
    const extra = s.attributes['virtsim.stage'] ? ` ${s.attributes['virtsim.stage']}` : s.error ? ` ERROR ${s.error}` : '';
    lines.push(`${label} ${who} |${bar.padEnd(barWidth)}| ${formatMs(s.end - s.start).padStart(8)}${extra}`);
  }
  if (w.hiddenRows) lines.push(`... ${w.hiddenRows} more spans after the startup (--whole shows them)`);
  return lines.join('\n');
}

const SHORT_KIND: Record<string, string> = { VirtualMachineInstance: 'VMI', VirtualMachineInstanceMigration: 'VMIM' };

function rowName(r: WaterfallRow): string {
  const s = r.span;
  if (r.depth === 0 && isRoot(s)) return s.name.replace(/^(\S+) /, (_, kind: string) => `${SHORT_KIND[kind] ?? kind} `);
  // Which object's event it was: the VMI's own, or its launcher pod's.
  if (s.name === 'watch event' || s.name === 'event received') return `${s.name} ${SHORT_KIND[String(s.attributes['k8s.kind'])] ?? s.attributes['k8s.kind'] ?? ''} ${s.attributes['event.type'] ?? ''}`.trimEnd();
  return s.name;
}

export interface SlowLifecycle {
  object: string;
  traceId: string;
  durationMs: number;
  outcome: string;
  dominantPhase?: string;
  dominantMs?: number;
  dominantWaitingFor?: string;
}

/** The lifecycles of `kind` in the store, slowest first, each with its longest phase before the root ended. */
export function slowestLifecycles(spans: StoredSpan[], n: number, kind = 'VirtualMachineInstance'): SlowLifecycle[] {
  const phases = new Map<string, StoredSpan[]>();
  for (const s of spans) {
    if (!isPhase(s)) continue;
    const list = phases.get(s.traceId) ?? [];
    list.push(s);
    phases.set(s.traceId, list);
  }
  return spans
    .filter((s) => isRoot(s) && s.attributes[LIFECYCLE_ROOT_ATTR] === kind)
    .map((root) => {
      const within = (phases.get(root.traceId) ?? []).filter((p) => p.end <= root.end + 0.001);
      const top = within.reduce<StoredSpan | undefined>((a, b) => (!a || b.end - b.start > a.end - a.start ? b : a), undefined);
      const by = top?.attributes['virtsim.phase.ended_by'];
      return {
        object: String(root.attributes['k8s.object']),
        traceId: root.traceId,
        durationMs: root.end - root.start,
        outcome: String(root.attributes['virtsim.outcome'] ?? ''),
        ...(top ? { dominantPhase: String(top.attributes['virtsim.phase']), dominantMs: top.end - top.start, dominantWaitingFor: typeof by === 'string' ? writerSide(by) : undefined } : {}),
      };
    })
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, n);
}

/** The slowest list as text. */
export function renderSlowest(list: SlowLifecycle[]): string {
  if (list.length === 0) return 'no finished lifecycles in the span store';
  const lines = [`${'OBJECT'.padEnd(40)} ${'TO RUNNING'.padStart(10)}  ${'OUTCOME'.padEnd(9)} LONGEST PHASE`];
  for (const l of list) {
    const dom = l.dominantPhase ? `${l.dominantPhase} ${formatMs(l.dominantMs!)} (${Math.round((l.dominantMs! / Math.max(l.durationMs, 0.001)) * 100)}%)${l.dominantWaitingFor ? ` waiting for ${l.dominantWaitingFor}` : ''}` : '-';
    lines.push(`${l.object.padEnd(40)} ${formatMs(l.durationMs).padStart(10)}  ${l.outcome.padEnd(9)} ${dom}`);
  }
  return lines.join('\n');
}
