import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadtestConfig } from './config.ts';
import type { Measurements } from './measurements.ts';
import type { QuantileSummary } from './quantiles.ts';
import type { VmiRecord } from './records.ts';
import type { PhaseResult } from './run-context.ts';
import type { Sample } from './sampler.ts';
import type { ThresholdResult } from './thresholds.ts';
import { renderHtmlReport } from './html-report.ts';
import type { ReportWaterfall } from './trace-waterfalls.ts';

export interface Report {
  runId: string;
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  /** True when every object reached its goal phase, every phase its goal, and every threshold held. */
  passed: boolean;
  interrupted: boolean;
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
  phases: Array<Omit<PhaseResult, 'startedAt' | 'endedAt'> & { startedAt: string; endedAt: string; seconds: number }>;
  counts: { created: number; measured: number; reachedRunning: number; notReachedRunning: number; churnReplacements: number; migrations: number; createRetries: number; createRefused: number };
  quantiles: Record<string, QuantileSummary>;
  podQuantiles: Record<string, QuantileSummary>;
  thresholds: ThresholdResult[];
  /** VMIs that never reached Running: name, last phase and reason. */
  notRunning: Array<{ namespace: string; name: string; lastPhase: string; reason: string | null }>;
  slowest: Array<Record<string, unknown>>;
  processes: Record<string, { cpuSeconds: number; peakRssMiB: number }>;
  series: Sample[];
  problems: string[];
}

/** The config as it ran, in the file's own shape, for the report's header and reruns. */
export function describeConfig(c: LoadtestConfig): Record<string, unknown> {
  return {
    name: c.name,
    template: c.template.source,
    kind: c.template.kind,
    count: c.count,
    rate: c.qps,
    burst: c.burst,
    namespaces: { prefix: c.namespacePrefix, objectsPerNamespace: c.objectsPerNamespace },
    phases: c.phases,
    thresholds: c.thresholds.map((t) => t.text),
    keep: c.keep,
  };
}

/** The 20 VMIs with the longest time to Running, with their phase times (ms from the create request). */
export function slowestVmis(records: Iterable<VmiRecord>, n = 20): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown> & { running: number }> = [];
  for (const r of records) {
    if (r.createSentAt === undefined || r.phases.Running === undefined) continue;
    const at = (t: number | undefined) => (t === undefined ? null : t - r.createSentAt!);
    rows.push({ namespace: r.namespace, name: r.name, node: r.node ?? null, running: r.phases.Running - r.createSentAt, Pending: at(r.phases.Pending), Scheduling: at(r.phases.Scheduling), Scheduled: at(r.phases.Scheduled), Running: at(r.phases.Running), podReady: at(r.pod.readyAt) });
  }
  return rows.sort((a, b) => b.running - a.running).slice(0, n);
}

/** The drain phase's own latencies: in report.json and the page, not in kube-burner's vmiLatency documents. */
const DRAIN_LATENCIES = new Set(['DrainNode', 'VMIEvacuated']);

/** kube-burner's documents: one file per metricName, a JSON array each, as its local indexer writes them. */
function kubeBurnerDocuments(report: Report, m: Measurements): Record<string, unknown[]> {
  const timestamp = report.endedAt;
  const base = { uuid: report.runId, timestamp, jobName: report.config.name };
  const quantileDocs = (metricName: string, q: Record<string, QuantileSummary>, filter: (name: string) => boolean) =>
    Object.entries(q)
      .filter(([name]) => filter(name))
      .map(([quantileName, s]) => ({ quantileName, ...base, P99: s.P99, P95: s.P95, P50: s.P50, max: s.max, avg: s.avg, count: s.count, metricName }));
  const docs = (list: Array<Record<string, unknown>>) => list.map((d) => ({ ...base, ...d }));
  return {
    vmiLatencyMeasurement: docs(m.perVmi),
    vmiLatencyQuantilesMeasurement: quantileDocs('vmiLatencyQuantilesMeasurement', m.quantiles, (n) => !n.startsWith('VMIM') && !DRAIN_LATENCIES.has(n)),
    podLatencyMeasurement: docs(m.perPod),
    podLatencyQuantilesMeasurement: quantileDocs('podLatencyQuantilesMeasurement', m.podQuantiles, () => true),
    vmimLatencyMeasurement: docs(m.perMigration),
    vmimLatencyQuantilesMeasurement: quantileDocs('vmimLatencyQuantilesMeasurement', m.quantiles, (n) => n.startsWith('VMIM')),
  };
}

/** Writes report.json, the kube-burner documents and report.html into `dir`; returns the files. */
export function writeReport(dir: string, report: Report, m: Measurements, scatter: Array<[number, number]>, waterfalls: ReportWaterfall[] = []): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
  };
  write('report.json', JSON.stringify(report, null, 1) + '\n');
  for (const [metricName, docs] of Object.entries(kubeBurnerDocuments(report, m))) {
    if (docs.length) write(`${metricName}.json`, JSON.stringify(docs, null, 1) + '\n');
  }
  write('report.html', renderHtmlReport(report, m.cdfs, scatter, waterfalls));
  return files;
}
