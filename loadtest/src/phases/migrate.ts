import { collectionPath, VMIMS } from '@virtsim/kube';
import { RateLimiter } from '../rate-limiter.ts';
import { forEachLimited, pick, writeWithRetry, type PhaseResult, type RunContext, type WriteCounters } from '../run-context.ts';
import type { MigrationRecord } from '../records.ts';
import { RUN_LABEL } from '../templates.ts';
import { liveRecords, reachedGoal } from './wait.ts';

const FINAL = new Set(['Succeeded', 'Failed']);

/** Live-migrates `percent` of the Running VMIs, one VirtualMachineInstanceMigration per rate token, and waits until each is final. */
export async function runMigrate(ctx: RunContext, spec: { percent: number; qps: number; timeoutMs: number }): Promise<PhaseResult> {
  const startedAt = Date.now();
  const running = liveRecords(ctx).filter((r) => reachedGoal(ctx, r));
  const chosen = pick(running, Math.max(1, Math.ceil((running.length * spec.percent) / 100)), ctx.random);
  Object.assign(ctx.progress, { phase: 'migrate', done: 0, total: chosen.length, startedAt, qps: spec.qps, burst: Math.ceil(spec.qps) });
  const limiter = new RateLimiter(spec.qps, Math.ceil(spec.qps));
  const counters: WriteCounters = { retries: 0, failures: 0 };
  const problems: string[] = [];
  const records: MigrationRecord[] = [];
  await forEachLimited(chosen, Math.max(8, Math.ceil(spec.qps * 2)), async (vmi) => {
    await limiter.take(ctx.signal);
    if (ctx.signal.aborted) return;
    const name = `migrate-${vmi.name}-${Object.keys(vmi.phases).length}`.slice(0, 63);
    const m = ctx.tracker.expectMigration(vmi.namespace, name, vmi.name);
    m.sourceNode = vmi.node;
    m.createSentAt = Date.now();
    records.push(m);
    try {
      await writeWithRetry(ctx, 'create', VMIMS.resource, counters, () =>
        ctx.client.request({
          method: 'POST',
          path: collectionPath(VMIMS, vmi.namespace),
          body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name, namespace: vmi.namespace, labels: { [RUN_LABEL]: ctx.runId } }, spec: { vmiName: vmi.name } },
          ignoreResponseBody: true,
        }),
      );
    } catch (err) {
      problems.push(`migration of ${vmi.namespace}/${vmi.name} refused: ${(err as Error).message}`);
      m.lastPhase = 'Refused';
    }
  });
  const sent = records.filter((m) => m.lastPhase !== 'Refused');
  const settled = await ctx.tracker.until(
    () => {
      let n = 0;
      for (const m of sent) if (FINAL.has(m.lastPhase)) n++;
      ctx.progress.done = n;
      return n === sent.length;
    },
    spec.timeoutMs,
    ctx.signal,
  );
  const succeeded = sent.filter((m) => m.lastPhase === 'Succeeded').length;
  const failed = sent.filter((m) => m.lastPhase === 'Failed');
  if (failed.length) problems.push(`${failed.length} migrations Failed (first: ${failed[0].namespace}/${failed[0].name})`);
  if (!settled) problems.push(`${sent.length - succeeded - failed.length} migrations not final after ${Math.round((Date.now() - startedAt) / 1000)} s`);
  return {
    kind: 'migrate',
    startedAt,
    endedAt: Date.now(),
    ok: problems.length === 0 && !ctx.signal.aborted,
    summary: { asked: chosen.length, created: sent.length, succeeded, failed: failed.length, retries: counters.retries },
    problems,
  };
}
