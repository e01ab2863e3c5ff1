// The chaos run's RSS check: is any process holding more memory at the end than the VMIs it then
// holds explain? Every process grows with the objects it holds, and the run makes most of its VMIs
// after the faults start, so "end within 20% of the RSS before the faults" fails on the growth
// alone. Instead each process's RSS is sampled at two fault-free moments (creation starts; just
// before the first fault) with the VMI count at each; the slope between them (bytes per VMI) gives
// what it should hold at the end: rssBeforeFaults + slope * (vmisAtEnd - vmisBeforeFaults). An end
// RSS more than 20% above that is a leak the faults left behind. Growth is concave (a V8 heap's
// start-up and sizing come first), so a slope from creation start is on the generous side: it does
// not fail a process on its growth, and catches what the faults leave on top of it.
import { childrenOf, rssOf } from './processes.ts';

/** Allowed growth over the expectation. */
export const RSS_TOLERANCE = 0.2;

/**
 * Fewer new VMIs than this between the two samples (`up` slow to start, creation reaching the first
 * fault early) and the slope is a single GC step, not memory per VMI: no expectation then, and the
 * process is reported, not judged. A slope of 0 instead would fail every process on its growth.
 */
export const MIN_SLOPE_WINDOW_VMIS = 50;

interface Sample {
  pid: number;
  bytes: number;
}

export interface RssSample {
  /** VMIs created when it was taken. */
  vmis: number;
  byRole: Map<string, Sample>;
}

export interface RssRow {
  process: string;
  /** At creation start, before the faults, at the end (bytes; 0 when the process was missing). */
  startBytes: number;
  beforeFaultsBytes: number;
  endBytes: number;
  /** Bytes per VMI, from the fault-free window (clamped, see rssSlope); undefined: not judged. */
  slope?: number;
  expectedBytes?: number;
  /** endBytes / expectedBytes - 1 (0 when not judged). */
  growth: number;
  /** A new pid at the end: the process was killed by a fault and restarted. */
  restarted: boolean;
  over: boolean;
}

export interface RssReport {
  vmis: { start: number; beforeFaults: number; end: number };
  rows: RssRow[];
  /** The processes over the expectation, in words (empty when none). */
  over: string[];
}

/** Every child of `up`: its pid and RSS now. */
export function sampleRss(upPid: number, vmis: number): RssSample {
  const byRole = new Map<string, Sample>();
  for (const [role, c] of childrenOf(upPid)) {
    const bytes = rssOf(c.pid);
    if (bytes !== undefined) byRole.set(role, { pid: c.pid, bytes });
  }
  return { vmis, byRole };
}

/**
 * Bytes per VMI between two samples of one process; undefined when the window is too small to tell
 * (MIN_SLOPE_WINDOW_VMIS). 0 when the RSS fell (a GC, not memory given back per VMI). At most
 * bytes / VMIs of the later sample: RSS = base + slope * VMIs with a base of at least 0, so a
 * steeper slope is start-up cost (JIT, heap sizing), not cost per VMI.
 */
export function rssSlope(start: { bytes: number; vmis: number }, before: { bytes: number; vmis: number }): number | undefined {
  const window = before.vmis - start.vmis;
  if (window < MIN_SLOPE_WINDOW_VMIS) return undefined;
  const slope = (before.bytes - start.bytes) / window;
  return Math.min(Math.max(0, slope), before.bytes / before.vmis);
}

/** One process's row: its expectation from the two fault-free samples, and its end against it. */
function rssRow(role: string, s: Sample | undefined, b: Sample | undefined, e: Sample, vmis: RssReport['vmis']): RssRow {
  // A pid that changed inside the fault-free window (or a process missing from it) has no slope.
  const slope = s && b && s.pid === b.pid ? rssSlope({ bytes: s.bytes, vmis: vmis.start }, { bytes: b.bytes, vmis: vmis.beforeFaults }) : undefined;
  const expectedBytes = b && slope !== undefined ? b.bytes + slope * Math.max(0, vmis.end - vmis.beforeFaults) : undefined;
  const growth = expectedBytes ? e.bytes / expectedBytes - 1 : 0;
  return { process: role, startBytes: s?.bytes ?? 0, beforeFaultsBytes: b?.bytes ?? 0, endBytes: e.bytes, slope, expectedBytes, growth, restarted: b !== undefined && b.pid !== e.pid, over: growth > RSS_TOLERANCE };
}

/**
 * Each process's end RSS against its expectation. A process a fault restarted (new pid) is held to
 * the same expectation: a fresh process holding the same objects needs no more than the one it
 * replaced (it lost that one's fragmentation and any leak), so ending above it means the restart
 * itself costs memory that stays (a relist held twice, buffers never released). Only growth
 * counts: ending below the expectation is memory given back, not a leak.
 */
export function checkRss(start: RssSample, beforeFaults: RssSample, end: RssSample): RssReport {
  const vmis = { start: start.vmis, beforeFaults: beforeFaults.vmis, end: end.vmis };
  const rows = [...end.byRole].map(([role, e]) => rssRow(role, start.byRole.get(role), beforeFaults.byRole.get(role), e, vmis));
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const over = rows.filter((r) => r.over).map((r) => `${r.process}${r.restarted ? ' (restarted)' : ''}: ${mib(r.endBytes)} at the end, expected ${mib(r.expectedBytes ?? 0)} (+${(r.growth * 100).toFixed(0)}%)`);
  return { vmis, rows, over };
}

/** The RSS line of the chaos table: start, expected and end per process, in MiB. */
export function formatRss(r: RssReport): string {
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  const head = `RSS in MiB (start at ${r.vmis.start} VMIs, before faults at ${r.vmis.beforeFaults}, end at ${r.vmis.end}; expected = before faults + slope x new VMIs; over: end > expected +${RSS_TOLERANCE * 100}%): `;
  const cells = r.rows.map((x) => {
    const note = [x.restarted ? 'restarted' : '', x.over ? `+${(x.growth * 100).toFixed(0)}%, OVER` : ''].filter(Boolean).join(', ');
    const expected = x.expectedBytes === undefined ? 'not judged (no slope)' : `${(x.slope! / 1024).toFixed(0)} KiB/VMI, expected ${mib(x.expectedBytes)}`;
    return `${x.process} start ${mib(x.startBytes)}, before faults ${mib(x.beforeFaultsBytes)}, ${expected}, end ${mib(x.endBytes)}${note ? ` (${note})` : ''}`;
  });
  return head + cells.join('; ');
}
