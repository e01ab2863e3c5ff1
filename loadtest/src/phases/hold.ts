import { sleep } from '@virtsim/kube';
import type { PhaseResult, RunContext } from '../run-context.ts';
import { liveRecords, reachedGoal } from './wait.ts';

/**
 * Keeps every object as it is for a while: the fleet's steady cost (CPU, RSS) with them all
 * Running, sampled as in every phase. An object not Running at the end (per its last watch event)
 * is a problem; one that left and came back within the hold is not seen.
 */
export async function runHold(ctx: RunContext, durationMs: number): Promise<PhaseResult> {
  const startedAt = Date.now();
  const held = liveRecords(ctx).filter((r) => reachedGoal(ctx, r));
  Object.assign(ctx.progress, { phase: 'hold', done: held.length, total: held.length, startedAt, qps: 0, burst: 0 });
  await sleep(durationMs, ctx.signal);
  const left = held.filter((r) => r.lastPhase !== 'Running');
  ctx.progress.done = held.length - left.length;
  const problems = left.length ? [`${left.length} of ${held.length} left Running while held: ${left.slice(0, 5).map((r) => `${r.namespace}/${r.name} (${r.lastPhase})`).join(', ')}`] : [];
  return { kind: 'hold', startedAt, endedAt: Date.now(), ok: !left.length, summary: { held: held.length, leftRunning: left.length, seconds: Math.round((Date.now() - startedAt) / 1000) }, problems };
}
