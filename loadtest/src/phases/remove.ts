import { StatusError, collectionPath, VMIS, VMS } from '@virtsim/kube';
import { RateLimiter } from '../rate-limiter.ts';
import type { VmiRecord } from '../records.ts';
import { forEachLimited, writeWithRetry, type PhaseResult, type RunContext, type WriteCounters } from '../run-context.ts';
import { liveRecords } from './wait.ts';

/**
 * Deletes one object of the run (the VM for VM templates: its VMI follows) and marks it as meant to
 * go. Deletion latency is from this request to the VMI's DELETED event.
 */
export async function deleteObject(ctx: RunContext, r: VmiRecord, counters: WriteCounters): Promise<void> {
  const ref = ctx.config.template.kind === 'VirtualMachine' ? VMS : VMIS;
  r.removing = true;
  r.deleteSentAt = Date.now();
  try {
    await writeWithRetry(ctx, 'delete', ref.resource, counters, () =>
      ctx.client.request({ method: 'DELETE', path: `${collectionPath(ref, r.namespace)}/${encodeURIComponent(r.name)}`, body: { propagationPolicy: 'Background' }, ignoreResponseBody: true }),
    );
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return; // already gone
    throw err;
  }
}

/** VM stop: runStrategy Halted; the VM controller stops and deletes the VMI. */
async function stopVm(ctx: RunContext, r: VmiRecord, counters: WriteCounters): Promise<void> {
  r.removing = true;
  r.stopSentAt = Date.now();
  await writeWithRetry(ctx, 'patch', VMS.resource, counters, () =>
    ctx.client.request({ method: 'PATCH', path: `${collectionPath(VMS, r.namespace)}/${encodeURIComponent(r.name)}`, contentType: 'application/merge-patch+json', body: { spec: { runStrategy: 'Halted', running: null } }, ignoreResponseBody: true }),
  );
}

/** `delete` (VMIs, or VMs with their VMIs) or `stop` (VMs): every live object at `qps`, then wait until their VMIs are gone. */
export async function runRemove(ctx: RunContext, kind: 'delete' | 'stop', qps: number, timeoutMs: number): Promise<PhaseResult> {
  const startedAt = Date.now();
  const targets = liveRecords(ctx);
  Object.assign(ctx.progress, { phase: kind, done: 0, total: targets.length, startedAt, qps, burst: Math.ceil(qps) });
  const counters: WriteCounters = { retries: 0, failures: 0 };
  const limiter = new RateLimiter(qps, Math.ceil(qps));
  const refused: string[] = [];
  await forEachLimited(targets, Math.max(8, Math.ceil(qps * 2)), async (r) => {
    await limiter.take(ctx.signal);
    if (ctx.signal.aborted) return;
    try {
      await (kind === 'stop' ? stopVm(ctx, r, counters) : deleteObject(ctx, r, counters));
    } catch (err) {
      refused.push(`${r.namespace}/${r.name}: ${(err as Error).message}`);
    }
  });
  const sent = targets.filter((r) => r.removing);
  const ok = await ctx.tracker.until(
    () => {
      let gone = 0;
      for (const r of sent) if (r.deletedAt !== undefined) gone++;
      ctx.progress.done = gone;
      return gone === sent.length;
    },
    timeoutMs,
    ctx.signal,
  );
  const left = sent.filter((r) => r.deletedAt === undefined);
  const problems = [...refused.slice(0, 5).map((s) => `${kind} refused: ${s}`)];
  if (!ok) problems.push(`${left.length} of ${sent.length} VMIs still present after ${Math.round((Date.now() - startedAt) / 1000)} s`);
  if (ctx.signal.aborted && sent.length < targets.length) problems.push(`stopped after ${sent.length} of ${targets.length}`);
  return {
    kind,
    startedAt,
    endedAt: Date.now(),
    ok: problems.length === 0,
    summary: { asked: targets.length, sent: sent.length, gone: sent.length - left.length, refused: refused.length, retries: counters.retries },
    problems,
  };
}
