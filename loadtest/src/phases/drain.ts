import { NODES, PODS, POOL_LABEL, StatusError, collectionPath, objectPath, sleep, type KubeObject } from '@virtsim/kube';
import { vmiKey, type VmiRecord } from '../records.ts';
import { forEachLimited, writeWithRetry, type PhaseResult, type RunContext, type WriteCounters } from '../run-context.ts';
import { chooseDrainNodes, type DrainSize } from './drain-nodes.ts';
import { DrainWatch } from './drain-watch.ts';
import { liveRecords } from './wait.ts';

/** kubectl drain waits this long before it tries a refused (429) eviction again. */
const EVICTION_RETRY_MS = 5_000;
/** ... and polls this often for an evicted pod to be gone. */
const POD_GONE_POLL_MS = 1_000;
const GONE_PHASES = new Set(['Failed', 'Succeeded', 'Deleted']);

export interface DrainSpec {
  size: DrainSize;
  parallel: number;
  timeoutMs: number;
  allowRealNodes: boolean;
}

/** One VMI that was on a drained node, and how it left. */
interface Evacuee {
  record: VmiRecord;
  source: string;
  firstEvictionAt?: number;
  refused?: string;
  doneAt?: number;
  outcome?: 'migrated' | 'evicted';
}

/**
 * `kubectl drain` of nodes hosting the run's VMIs, at scale: cordons each, evicts its pods through
 * the Eviction API (retrying 429s as kubectl does), waits until the node holds none of the run's
 * pods and each of its VMIs runs elsewhere (or, evicted outright, ended), then uncordons.
 */
export async function runDrain(ctx: RunContext, spec: DrainSpec): Promise<PhaseResult> {
  const startedAt = Date.now();
  const deadline = startedAt + spec.timeoutMs;
  const problems: string[] = [];
  const counters: WriteCounters = { retries: 0, failures: 0 };
  const live = liveRecords(ctx).filter((r) => r.node);
  const perNode = new Map<string, number>();
  for (const r of live) perNode.set(r.node!, (perNode.get(r.node!) ?? 0) + 1);
  const virtsimNodes = await listVirtsimNodes(ctx);
  const { chosen, refusedRealNodes } = chooseDrainNodes(
    [...perNode].map(([name, vmis]) => ({ name, vmis, virtsim: virtsimNodes.has(name) })),
    spec.size,
    spec.allowRealNodes,
    ctx.random,
  );
  // Not a failure: the phase drains what it may; the summary lists the nodes it left alone.
  if (refusedRealNodes.length) ctx.log.warn({ nodes: refusedRealNodes.slice(0, 10), count: refusedRealNodes.length }, 'drain leaves nodes alone that virtsim did not make (allowRealNodes: true drains them)');
  const chosenSet = new Set(chosen);
  const evacuees = new Map<string, Evacuee>();
  for (const r of live) if (chosenSet.has(r.node!)) evacuees.set(vmiKey(r.namespace, r.name), { record: r, source: r.node! });
  Object.assign(ctx.progress, { phase: 'drain', done: 0, total: evacuees.size, startedAt, qps: 0, burst: 0 });
  if (chosen.length === 0) {
    problems.push(refusedRealNodes.length ? `no node to drain: the ${refusedRealNodes.length} hosting this run's VMIs were not made by virtsim (set allowRealNodes: true to drain them)` : 'no node to drain: none hosts a VMI of this run');
    const none = { nodesDrained: 0, nodesChosen: 0, vmisAffected: 0, migrated: 0, evictedDirectly: 0, failed: 0, timedOut: 0, evacuationMigrations: 0, nodes: [] };
    return { kind: 'drain', startedAt, endedAt: Date.now(), ok: false, summary: { ...none, refusedRealNodes: refusedRealNodes.slice(0, 50) }, problems };
  }

  const watch = new DrainWatch(ctx.client, ctx.runId, ctx.log, chosenSet, (ns, vmi) => evacuees.has(vmiKey(ns, vmi)));
  // A VMI is evacuated when the tracker's watch shows it Running on another node, or ended.
  const pending = new Set(evacuees.values());
  const offChange = ctx.tracker.onChange(() => {
    for (const e of pending) {
      const r = e.record;
      if (r.lastPhase === 'Running' && r.node && r.node !== e.source) e.outcome = 'migrated';
      else if (GONE_PHASES.has(r.lastPhase)) e.outcome = 'evicted';
      else continue;
      e.doneAt = Date.now();
      pending.delete(e);
      ctx.progress.done++;
    }
  });
  watch.start();
  const setUnschedulable = (name: string, on: boolean) =>
    writeWithRetry(ctx, 'patch', 'nodes', counters, () =>
      ctx.client.request({ method: 'PATCH', path: `/api/v1/nodes/${encodeURIComponent(name)}`, contentType: 'application/merge-patch+json', body: { spec: { unschedulable: on ? true : null } }, ignoreResponseBody: true }),
    );
  const stats = { evictionsAccepted: 0, evictionsRefused429: 0, podsSkipped: 0 };
  try {
    await ctx.tracker.until(() => watch.synced, Math.max(0, deadline - Date.now()), ctx.signal);
    await forEachLimited(chosen, spec.parallel, async (node) => {
      if (ctx.signal.aborted) return;
      watch.cordoned(node);
      await setUnschedulable(node, true);
      const victims = (await listPodsOn(ctx, node)).filter((p) => {
        const skip = p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') || !!p.metadata.annotations?.['kubernetes.io/config.mirror'];
        if (skip) stats.podsSkipped++;
        return !skip;
      });
      await forEachLimited(victims, 32, (pod) => evictPod(ctx, pod, evacuees, stats, deadline, problems));
      watch.checkEmpty(node);
      await ctx.tracker.until(() => watch.emptyAt.has(node), Math.max(0, deadline - Date.now()), ctx.signal);
    });
    await ctx.tracker.until(() => pending.size === 0, Math.max(0, deadline - Date.now()), ctx.signal);
  } finally {
    offChange();
    // Uncordon even after Ctrl-C or a timeout: later phases and the cleanup need the nodes.
    await forEachLimited(chosen, 32, (name) => setUnschedulable(name, false).then(() => undefined)).catch((err) => problems.push(`could not uncordon: ${(err as Error).message}`));
    await watch.stop();
  }
  return drainResult(startedAt, chosen, refusedRealNodes, [...evacuees.values()], watch, stats, problems, ctx);
}

/** The phase's figures, from what the drain saw; directly evicted VMIs leave the run's goal. */
function drainResult(startedAt: number, chosen: string[], refusedRealNodes: string[], all: Evacuee[], watch: DrainWatch, stats: Record<string, number>, problems: string[], ctx: RunContext): PhaseResult {
  const { emptyAt, cordonedAt, migrations } = watch;
  // Evicted outright, they are gone for good: later phases must not wait for them to run.
  for (const e of all) if (e.outcome === 'evicted') e.record.removing = true;
  for (const [k, m] of migrations) ctx.tracker.migrations.set(k, m);
  const migrated = all.filter((e) => e.outcome === 'migrated').length;
  const evictedDirectly = all.filter((e) => e.outcome === 'evicted').length;
  const failed = all.filter((e) => !e.outcome && e.refused).length;
  const timedOut = all.filter((e) => !e.outcome && !e.refused).length;
  const notEmpty = chosen.filter((n) => !emptyAt.has(n));
  if (notEmpty.length) problems.push(`${notEmpty.length} of ${chosen.length} nodes still held pods of this run after ${Math.round((Date.now() - startedAt) / 1000)} s (first: ${notEmpty[0]})`);
  if (failed) problems.push(`${failed} VMIs could not be evicted (first: ${all.find((e) => !e.outcome && e.refused)!.refused})`);
  if (timedOut) problems.push(`${timedOut} VMIs neither Running elsewhere nor ended after ${Math.round((Date.now() - startedAt) / 1000)} s`);
  const failedMigrations = [...migrations.values()].filter((m) => m.lastPhase === 'Failed').length;
  const drainMs = chosen.filter((n) => emptyAt.has(n)).map((n) => emptyAt.get(n)! - cordonedAt.get(n)!);
  const evacuationMs = all.filter((e) => e.outcome === 'migrated' && e.firstEvictionAt !== undefined).map((e) => Math.max(0, e.doneAt! - e.firstEvictionAt!));
  return {
    kind: 'drain',
    startedAt,
    endedAt: Date.now(),
    ok: problems.length === 0 && !ctx.signal.aborted,
    summary: {
      nodesDrained: chosen.length - notEmpty.length,
      nodesChosen: chosen.length,
      vmisAffected: all.length,
      migrated,
      evictedDirectly,
      failed,
      timedOut,
      evacuationMigrations: migrations.size,
      evacuationMigrationsFailed: failedMigrations,
      ...stats,
      drainNodeMaxMs: drainMs.length ? Math.max(...drainMs) : null,
      vmiEvacuatedMaxMs: evacuationMs.length ? Math.max(...evacuationMs) : null,
      nodes: chosen.slice(0, 50),
      refusedRealNodes: refusedRealNodes.slice(0, 50),
    },
    latencies: { DrainNode: drainMs, VMIEvacuated: evacuationMs },
    problems,
  };
}

/**
 * kubectl drain's loop for one pod: POST its eviction; on 429 (a PodDisruptionBudget, or virt-api
 * starting a migration) try again in 5 s; once accepted, wait until the pod is gone.
 */
async function evictPod(ctx: RunContext, pod: KubeObject, evacuees: Map<string, Evacuee>, stats: { evictionsAccepted: number; evictionsRefused429: number }, deadline: number, problems: string[]): Promise<void> {
  const ns = pod.metadata.namespace!;
  const name = pod.metadata.name;
  const vmiOwner = pod.metadata.ownerReferences?.find((o) => o.kind === 'VirtualMachineInstance');
  const e = vmiOwner ? evacuees.get(vmiKey(ns, vmiOwner.name)) : undefined;
  while (!ctx.signal.aborted && Date.now() < deadline) {
    const at = Date.now();
    if (e) e.firstEvictionAt ??= at;
    try {
      await ctx.api.measure('create', 'pods/eviction', () =>
        ctx.client.request({ method: 'POST', path: objectPath(PODS, ns, name, 'eviction'), body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } }, ignoreResponseBody: true }),
      );
      stats.evictionsAccepted++;
      break;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      if (err instanceof StatusError && err.code === 429) {
        stats.evictionsRefused429++;
        await sleep(Math.min(EVICTION_RETRY_MS, Math.max(0, deadline - Date.now())), ctx.signal).catch(() => undefined);
        // The pod may have finished and been removed meanwhile (a migrated VMI's source).
        continue;
      }
      const why = `${ns}/${name}: ${(err as Error).message}`;
      if (e) e.refused = why;
      else problems.push(`eviction of pod ${why}`);
      return;
    }
  }
  // kubectl drain's waitForDelete: the pod is gone, or a new one took its name.
  while (!ctx.signal.aborted && Date.now() < deadline) {
    try {
      const now = await ctx.api.measure('get', 'pods', () => ctx.client.request<KubeObject>({ method: 'GET', path: objectPath(PODS, ns, name) }));
      if (now.metadata.uid !== pod.metadata.uid) return;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      // Anything else (a timeout, a 5xx): ask again at the next poll, as kubectl does.
    }
    await sleep(POD_GONE_POLL_MS, ctx.signal).catch(() => undefined);
  }
}

/** The node's pods, as kubectl drain lists them (a field selector on spec.nodeName). */
async function listPodsOn(ctx: RunContext, node: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  let cont: string | undefined;
  do {
    const page = await ctx.api.measure('list', 'pods', () =>
      ctx.client.request<{ items: KubeObject[]; metadata: { continue?: string } }>({ method: 'GET', path: collectionPath(PODS), query: { fieldSelector: `spec.nodeName=${node}`, limit: 500, continue: cont } }),
    );
    out.push(...page.items);
    cont = page.metadata.continue || undefined;
  } while (cont);
  return out;
}

/** Nodes virtsim's agents manage (their pool label): the only ones a drain takes unless allowed. */
async function listVirtsimNodes(ctx: RunContext): Promise<Set<string>> {
  const names = new Set<string>();
  let cont: string | undefined;
  do {
    const page = await ctx.api.measure('list', 'nodes', () =>
      ctx.client.request<{ items: KubeObject[]; metadata: { continue?: string } }>({ method: 'GET', path: collectionPath(NODES), query: { labelSelector: POOL_LABEL, limit: 1000, continue: cont } }),
    );
    for (const n of page.items) names.add(n.metadata.name);
    cont = page.metadata.continue || undefined;
  } while (cont);
  return names;
}
