import { Informer, NODES, POOL_LABEL, sleep, type KubeObject } from '@virtsim/kube';
import { forEachLimited, pick, writeWithRetry, type PhaseResult, type RunContext, type WriteCounters } from '../run-context.ts';
import { liveRecords, reachedGoal } from './wait.ts';

/** The label KWOK's (and virtsim's) node-not-ready chaos stage acts on. */
export const NODE_NOT_READY_LABEL = 'node-not-ready.stage.kwok.x-k8s.io';
/** Marks the nodes this run failed, so one watch follows them through failure and recovery. */
const FAILED_BY_RUN_LABEL = 'virtsim.io/loadtest-node-failure';

const readyStatus = (n: KubeObject): string | undefined => (n.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready')?.status;

/**
 * Sets `percent` of the fleet's nodes NotReady through the chaos stage's label, holds them down for
 * `duration`, removes the label and measures how long each took to go NotReady and to come back
 * Ready, and how many of the run's VMIs were on them.
 */
export async function runNodeFailure(ctx: RunContext, spec: { percent: number; durationMs: number; timeoutMs: number }): Promise<PhaseResult> {
  const startedAt = Date.now();
  const problems: string[] = [];
  const counters: WriteCounters = { retries: 0, failures: 0 };
  const all = await listNodeNames(ctx);
  const chosen = pick(all, Math.max(1, Math.ceil((all.length * spec.percent) / 100)), ctx.random);
  const chosenSet = new Set(chosen);
  const affected = liveRecords(ctx).filter((r) => r.node && chosenSet.has(r.node));
  Object.assign(ctx.progress, { phase: 'node-failure', done: 0, total: chosen.length, startedAt, qps: 0, burst: 0 });

  const ready = new Map<string, string | undefined>();
  const notReadyAt = new Map<string, number>();
  const readyAgainAt = new Map<string, number>();
  let restoreSentAt = Infinity;
  const nodes = new Informer(ctx.client, {
    resource: NODES,
    labelSelector: `${FAILED_BY_RUN_LABEL}=${ctx.runId}`,
    log: ctx.log,
    transform: (n) => ({ metadata: { name: n.metadata.name, resourceVersion: n.metadata.resourceVersion }, status: { conditions: n.status?.conditions?.filter((c: { type: string }) => c.type === 'Ready') } }),
    onEvent: (type, n) => {
      const at = Date.now();
      const s = type === 'DELETED' ? undefined : readyStatus(n);
      ready.set(n.metadata.name, s);
      if (s !== 'True' && !notReadyAt.has(n.metadata.name)) notReadyAt.set(n.metadata.name, at);
      if (s === 'True' && at > restoreSentAt && !readyAgainAt.has(n.metadata.name)) readyAgainAt.set(n.metadata.name, at);
    },
  });
  nodes.start();
  const patchLabels = (name: string, labels: Record<string, string | null>) =>
    writeWithRetry(ctx, 'patch', 'nodes', counters, () =>
      ctx.client.request({ method: 'PATCH', path: `/api/v1/nodes/${encodeURIComponent(name)}`, contentType: 'application/merge-patch+json', body: { metadata: { labels } }, ignoreResponseBody: true }),
    );
  const until = async (cond: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline && !ctx.signal.aborted) await sleep(100, ctx.signal);
    return cond();
  };
  try {
    const failSentAt = Date.now();
    await forEachLimited(chosen, 32, (name) => patchLabels(name, { [FAILED_BY_RUN_LABEL]: ctx.runId, [NODE_NOT_READY_LABEL]: 'true' }).then(() => undefined));
    const wentDown = await until(() => chosen.every((n) => notReadyAt.has(n)), spec.timeoutMs);
    ctx.progress.done = notReadyAt.size;
    if (!wentDown) problems.push(`${chosen.length - notReadyAt.size} of ${chosen.length} nodes never went NotReady`);
    await sleep(Math.max(0, spec.durationMs - (Date.now() - failSentAt)), ctx.signal);
    // Restore even after Ctrl-C: a run must not leave nodes failed behind it.
    restoreSentAt = Date.now();
    await forEachLimited(chosen, 32, (name) => patchLabels(name, { [NODE_NOT_READY_LABEL]: null }).then(() => undefined));
    const recovered = await until(() => chosen.every((n) => ready.get(n) === 'True'), spec.timeoutMs);
    for (const n of chosen) if (ready.get(n) === 'True') readyAgainAt.set(n, readyAgainAt.get(n) ?? Date.now());
    if (!recovered) problems.push(`${chosen.filter((n) => ready.get(n) !== 'True').length} of ${chosen.length} nodes not Ready ${Math.round(spec.timeoutMs / 1000)} s after the label was removed`);
    const downMs = chosen.filter((n) => notReadyAt.has(n)).map((n) => notReadyAt.get(n)! - failSentAt);
    const upMs = chosen.filter((n) => readyAgainAt.has(n)).map((n) => readyAgainAt.get(n)! - restoreSentAt);
    const stillRunning = affected.filter((r) => reachedGoal(ctx, r)).length;
    return {
      kind: 'node-failure',
      startedAt,
      endedAt: Date.now(),
      ok: problems.length === 0 && !ctx.signal.aborted,
      summary: {
        nodesInFleet: all.length,
        nodesFailed: chosen.length,
        vmisAffected: affected.length,
        vmisRunningAfterRecovery: stillRunning,
        timeToNotReadyMaxMs: downMs.length ? Math.max(...downMs) : null,
        timeToRecoverMaxMs: upMs.length ? Math.max(...upMs) : null,
        timeToRecoverAvgMs: upMs.length ? Math.round(upMs.reduce((a, b) => a + b, 0) / upMs.length) : null,
        nodes: chosen.slice(0, 50),
      },
      problems,
    };
  } finally {
    await forEachLimited(chosen, 32, (name) => patchLabels(name, { [FAILED_BY_RUN_LABEL]: null, [NODE_NOT_READY_LABEL]: null }).then(() => undefined)).catch((err) => ctx.log.warn({ err: String(err) }, 'could not clear the node-failure labels'));
    await nodes.stop();
  }
}

/** The fleet's nodes (those of virtsim's pool when there is one; else every node). */
async function listNodeNames(ctx: RunContext): Promise<string[]> {
  const names: string[] = [];
  const pooled: string[] = [];
  let cont: string | undefined;
  do {
    const page = await ctx.api.measure('list', 'nodes', () =>
      ctx.client.request<{ items: KubeObject[]; metadata: { continue?: string } }>({ method: 'GET', path: '/api/v1/nodes', query: { limit: 1000, continue: cont } }),
    );
    for (const n of page.items) {
      names.push(n.metadata.name);
      if (n.metadata.labels?.[POOL_LABEL]) pooled.push(n.metadata.name);
    }
    cont = page.metadata.continue || undefined;
  } while (cont);
  return (pooled.length ? pooled : names).sort();
}
