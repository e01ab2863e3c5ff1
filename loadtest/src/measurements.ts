import type { MigrationRecord, VmiRecord } from './records.ts';
import type { PhaseResult } from './run-context.ts';
import { cdf, summarize, type QuantileSummary } from './quantiles.ts';

/** kube-burner's vmiLatency names, and when each is reached on a record. */
const VMI_LATENCIES: Array<[name: string, field: string, at: (r: VmiRecord) => number | undefined]> = [
  ['VMICreated', 'vmiCreatedLatency', (r) => r.phases.Created],
  ['VMIPending', 'vmiPendingLatency', (r) => r.phases.Pending],
  ['VMIScheduling', 'vmiSchedulingLatency', (r) => r.phases.Scheduling],
  ['VMIScheduled', 'vmiScheduledLatency', (r) => r.phases.Scheduled],
  ['VMIRunning', 'vmiRunningLatency', (r) => r.phases.Running],
  ['VMIReady', 'vmiReadyLatency', (r) => r.vmiReadyAt],
  ['VMReady', 'vmReadyLatency', (r) => r.vmReadyAt],
  ['PodCreated', 'podCreatedLatency', (r) => r.pod.createdAt],
  ['PodPodScheduled', 'podScheduledLatency', (r) => r.pod.scheduledAt],
  ['PodInitialized', 'podInitializedLatency', (r) => r.pod.initializedAt],
  ['PodContainersReady', 'podContainersReadyLatency', (r) => r.pod.containersReadyAt],
  ['PodReady', 'podReadyLatency', (r) => r.pod.readyAt],
];

/** kube-burner's podLatency names, measured from the launcher pod's first appearance. */
const POD_LATENCIES: Array<[name: string, field: string, at: (r: VmiRecord) => number | undefined]> = [
  ['PodScheduled', 'schedulingLatency', (r) => r.pod.scheduledAt],
  ['Initialized', 'initializedLatency', (r) => r.pod.initializedAt],
  ['ContainersReady', 'containersReadyLatency', (r) => r.pod.containersReadyAt],
  ['Ready', 'podReadyLatency', (r) => r.pod.readyAt],
];

export const MIGRATION_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded', 'Failed'];

export interface Measurements {
  /** Every latency name (VMI*, VM*, Pod* of vmiLatency, VMIDeleted, VMStopped, VMIM*) -> its summary. */
  quantiles: Record<string, QuantileSummary>;
  /** kube-burner's podLatency quantiles (PodScheduled, Initialized, ContainersReady, Ready). */
  podQuantiles: Record<string, QuantileSummary>;
  /** Per VMI, kube-burner's vmiLatencyMeasurement fields (ms, from the create request). */
  perVmi: Array<Record<string, unknown>>;
  perPod: Array<Record<string, unknown>>;
  perMigration: Array<Record<string, unknown>>;
  /** Empirical CDF points per latency name, for the report's plots. */
  cdfs: Record<string, Array<[number, number]>>;
}

const since = (start: number | undefined, at: number | undefined) => (start === undefined || at === undefined ? undefined : Math.max(0, at - start));

/** Turns the records into kube-burner's per-object documents and quantiles. */
export function measure(vmis: Iterable<VmiRecord>, migrations: Iterable<MigrationRecord>): Measurements {
  const samples = new Map<string, number[]>();
  const podSamples = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, name: string, v: number | undefined) => {
    if (v === undefined) return;
    let a = m.get(name);
    if (!a) m.set(name, (a = []));
    a.push(v);
  };
  const perVmi: Measurements['perVmi'] = [];
  const perPod: Measurements['perPod'] = [];
  for (const r of vmis) {
    if (r.createSentAt === undefined || r.createAckAt === undefined) continue;
    const doc: Record<string, unknown> = { metricName: 'vmiLatencyMeasurement', namespace: r.namespace, name: r.name, nodeName: r.node ?? null, churnRound: r.churnRound, createdAt: new Date(r.createSentAt).toISOString() };
    for (const [name, field, at] of VMI_LATENCIES) {
      const v = since(r.createSentAt, at(r));
      add(samples, name, v);
      if (v !== undefined) doc[field] = v;
    }
    add(samples, 'VMIDeleted', r.stopSentAt === undefined ? since(r.deleteSentAt, r.deletedAt) : undefined);
    add(samples, 'VMStopped', since(r.stopSentAt, r.deletedAt));
    doc.lastPhase = r.lastPhase;
    perVmi.push(doc);
    if (r.pod.createdAt !== undefined) {
      const pdoc: Record<string, unknown> = { metricName: 'podLatencyMeasurement', namespace: r.namespace, podName: r.pod.name, nodeName: r.node ?? null };
      for (const [name, field, at] of POD_LATENCIES) {
        const v = since(r.pod.createdAt, at(r));
        add(podSamples, name, v);
        if (v !== undefined) pdoc[field] = v;
      }
      perPod.push(pdoc);
    }
  }
  const perMigration: Measurements['perMigration'] = [];
  for (const m of migrations) {
    if (m.createSentAt === undefined) continue;
    const doc: Record<string, unknown> = { metricName: 'vmimLatencyMeasurement', namespace: m.namespace, name: m.name, vmiName: m.vmiName, lastPhase: m.lastPhase };
    for (const p of MIGRATION_PHASES) {
      const v = since(m.createSentAt, m.phases[p]);
      add(samples, `VMIM${p}`, v);
      if (v !== undefined) doc[`vmim${p}Latency`] = v;
    }
    perMigration.push(doc);
  }
  const quantiles: Record<string, QuantileSummary> = {};
  const cdfs: Record<string, Array<[number, number]>> = {};
  for (const [name, s] of samples) {
    quantiles[name] = summarize(s)!;
    cdfs[name] = cdf(s);
  }
  const podQuantiles: Record<string, QuantileSummary> = {};
  for (const [name, s] of podSamples) podQuantiles[name] = summarize(s)!;
  return { quantiles, podQuantiles, perVmi, perPod, perMigration, cdfs };
}

/**
 * Latencies phases measure themselves (drain's DrainNode, VMIEvacuated) join the others, so the
 * report, the plots and the thresholds treat them alike; samples of one name from several phases pool.
 */
export function addPhaseLatencies(m: Measurements, results: readonly PhaseResult[]): void {
  const pooled = new Map<string, number[]>();
  for (const r of results) for (const [name, s] of Object.entries(r.latencies ?? {})) pooled.set(name, [...(pooled.get(name) ?? []), ...s]);
  for (const [name, s] of pooled) {
    const q = summarize(s);
    if (!q) continue;
    m.quantiles[name] = q;
    m.cdfs[name] = cdf(s);
  }
}
