import { LIFECYCLE_ROOT_ATTR, readSpanStore, type StoredSpan } from '@virtsim/telemetry';
import { buildWaterfall, startupOnly } from '@virtsim/telemetry/trace-view';

// The report's "where the time went": the lifecycle traces of this run's fastest, median and
// slowest VMI (creation to Running), from the span store of the `virtsim up` that ran them.

export interface ReportWaterfallRow {
  name: string;
  /** The process, or for a phase who ended it. */
  who: string;
  depth: number;
  /** ms from the VMI's creation. */
  start: number;
  end: number;
  kind: 'root' | 'phase' | 'fleet';
}

export interface ReportWaterfall {
  which: 'fastest' | 'median' | 'slowest';
  object: string;
  traceId: string;
  durationMs: number;
  rows: ReportWaterfallRow[];
}

const rootLine = (line: string) => line.includes(`"${LIFECYCLE_ROOT_ATTR}":"VirtualMachineInstance"`);

/** Up to three waterfalls (fewer when fewer of `objects`, namespace/name, were traced). */
export function reportWaterfalls(traceDir: string, objects: Set<string>): ReportWaterfall[] {
  const roots = readSpanStore(traceDir, rootLine).filter((s) => objects.has(String(s.attributes['k8s.object'])));
  if (roots.length === 0) return [];
  roots.sort((a, b) => a.end - a.start - (b.end - b.start));
  const picks: Array<[ReportWaterfall['which'], StoredSpan]> = [
    ['fastest', roots[0]],
    ['median', roots[Math.floor(roots.length / 2)]],
    ['slowest', roots[roots.length - 1]],
  ];
  const unique = picks.filter(([, r], i) => picks.findIndex(([, q]) => q === r) === i);
  const ids = unique.map(([, r]) => r.traceId);
  const spans = readSpanStore(traceDir, (line) => ids.some((id) => line.includes(id)));
  return unique.map(([which, root]) => {
    const w = startupOnly(buildWaterfall(spans, root.traceId));
    return {
      which,
      object: String(root.attributes['k8s.object']),
      traceId: root.traceId,
      durationMs: Math.round((root.end - root.start) * 10) / 10,
      rows: w.rows.map((r) => ({
        name: r.span.name === 'stage' && r.span.attributes['virtsim.stage'] ? `stage ${r.span.attributes['virtsim.stage']}` : r.span.name,
        who: r.waitingFor ?? r.span.service,
        depth: r.depth,
        start: Math.round((r.span.start - w.start) * 10) / 10,
        end: Math.round((Math.min(r.span.end, w.end) - w.start) * 10) / 10,
        kind: r.depth === 0 ? 'root' : r.span.attributes['virtsim.phase'] !== undefined ? 'phase' : 'fleet',
      })),
    };
  });
}
