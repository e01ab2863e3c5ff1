import type { VmiRecord } from '../records.ts';
import type { PhaseResult, RunContext } from '../run-context.ts';

/** The objects the run still expects to be Running: created, not being removed. */
export function liveRecords(ctx: RunContext): VmiRecord[] {
  const out: VmiRecord[] = [];
  for (const r of ctx.tracker.vmis.values()) if (r.createAckAt !== undefined && !r.removing) out.push(r);
  return out;
}

/** Running, and for VM templates Ready as virt-controller reports it. */
export function reachedGoal(ctx: RunContext, r: VmiRecord): boolean {
  if (r.lastPhase !== 'Running') return false;
  return ctx.config.template.kind !== 'VirtualMachine' || r.vmReadyAt !== undefined;
}

/** Waits until every live object is Running (VMs: and Ready), or the timeout. */
export async function runWait(ctx: RunContext, timeoutMs: number): Promise<PhaseResult> {
  const startedAt = Date.now();
  const live = liveRecords(ctx);
  Object.assign(ctx.progress, { phase: 'wait', done: 0, total: live.length, startedAt, qps: 0, burst: 0 });
  const ok = await ctx.tracker.until(
    () => {
      let n = 0;
      for (const r of live) if (reachedGoal(ctx, r)) n++;
      ctx.progress.done = n;
      return n === live.length;
    },
    timeoutMs,
    ctx.signal,
  );
  const notRunning = live.filter((r) => !reachedGoal(ctx, r));
  return {
    kind: 'wait',
    startedAt,
    endedAt: Date.now(),
    ok,
    summary: { expected: live.length, running: live.length - notRunning.length, notRunning: notRunning.length },
    problems: ok ? [] : [`${notRunning.length} of ${live.length} not Running after ${Math.round((Date.now() - startedAt) / 1000)} s${ctx.signal.aborted ? ' (stopped)' : ''}`],
  };
}
