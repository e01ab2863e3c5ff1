import { RateLimiter } from '../rate-limiter.ts';
import { pick, type PhaseResult, type RunContext, type WriteCounters } from '../run-context.ts';
import type { ObjectCreator } from './object-creator.ts';
import { deleteObject } from './remove.ts';
import { liveRecords, reachedGoal } from './wait.ts';

/**
 * Churn, as kube-burner's: rounds that each delete `percent` of the Running objects and create as
 * many new ones, one delete+create pair per rate token, until `duration` has passed; then waits
 * until the replacements are Running and the deleted are gone.
 */
export async function runChurn(ctx: RunContext, creator: ObjectCreator, spec: { percent: number; qps: number; durationMs: number; timeoutMs: number }): Promise<PhaseResult> {
  const startedAt = Date.now();
  const counters: WriteCounters = { retries: 0, failures: 0 };
  const limiter = new RateLimiter(spec.qps, Math.ceil(spec.qps));
  Object.assign(ctx.progress, { phase: 'churn', done: 0, total: 0, startedAt, qps: spec.qps, burst: Math.ceil(spec.qps) });
  const deleted: ReturnType<typeof liveRecords> = [];
  let created = 0;
  let round = 0;
  let nextIndex = ctx.config.count;
  const problems: string[] = [];
  while (Date.now() - startedAt < spec.durationMs && !ctx.signal.aborted) {
    round++;
    const running = liveRecords(ctx).filter((r) => reachedGoal(ctx, r));
    const victims = pick(running, Math.max(1, Math.ceil((running.length * spec.percent) / 100)), ctx.random);
    if (victims.length === 0) break;
    ctx.progress.total += victims.length;
    for (const victim of victims) {
      if (Date.now() - startedAt >= spec.durationMs || ctx.signal.aborted) break;
      await limiter.take(ctx.signal);
      if (ctx.signal.aborted) break;
      try {
        await deleteObject(ctx, victim, counters);
        deleted.push(victim);
      } catch (err) {
        problems.push(`churn delete of ${victim.namespace}/${victim.name} refused: ${(err as Error).message}`);
        continue;
      }
      // The replacement lands in the victim's namespace, so namespace sizes stay as configured.
      const index = nextIndex++;
      const name = `${ctx.config.name}-${index}`;
      const nsIndex = Number(victim.namespace.slice(victim.namespace.lastIndexOf('-') + 1)) * ctx.config.objectsPerNamespace;
      // One token paid for the pair: the create goes out now, unpaced.
      await creator.createAll([{ index: nsIndex, name }], 1e9, 1, round);
      created++;
      ctx.progress.done++;
    }
  }
  // Replacements churned again in a later round are judged by their deletion, not by Running.
  const replacements = [...ctx.tracker.vmis.values()].filter((r) => r.churnRound > 0 && !r.removing);
  const settled = await ctx.tracker.until(() => deleted.every((r) => r.deletedAt !== undefined) && replacements.every((r) => r.createAckAt === undefined || reachedGoal(ctx, r)), spec.timeoutMs, ctx.signal);
  if (!settled) {
    const stuck = deleted.filter((r) => r.deletedAt === undefined).length;
    const notRunning = replacements.filter((r) => r.createAckAt !== undefined && !reachedGoal(ctx, r)).length;
    problems.push(`after churn: ${stuck} deleted VMIs still present, ${notRunning} replacements not Running`);
  }
  return {
    kind: 'churn',
    startedAt,
    endedAt: Date.now(),
    ok: problems.length === 0 && !ctx.signal.aborted,
    summary: { rounds: round, deleted: deleted.length, created, percent: spec.percent, qps: spec.qps, durationMs: spec.durationMs, retries: counters.retries },
    problems,
  };
}
