import { StatusError, sleep, type KubeObject } from '@virtsim/kube';
import type { PhaseResult, RunContext } from '../run-context.ts';
import { RUN_LABEL } from '../templates.ts';

/** Deletes the run's namespaces (and with them everything it created) and waits until they are gone. */
export async function runCleanup(ctx: RunContext, timeoutMs: number, signal?: AbortSignal): Promise<PhaseResult> {
  const startedAt = Date.now();
  Object.assign(ctx.progress, { phase: 'cleanup', done: 0, total: 0, startedAt, qps: 0, burst: 0 });
  const list = () =>
    ctx.api.measure('list', 'namespaces', () => ctx.client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/namespaces', query: { labelSelector: `${RUN_LABEL}=${ctx.runId}` } }));
  const problems: string[] = [];
  const namespaces = (await list()).items.map((n) => n.metadata.name);
  ctx.progress.total = namespaces.length;
  for (const ns of namespaces) {
    try {
      await ctx.api.measure('delete', 'namespaces', () => ctx.client.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}`, ignoreResponseBody: true }));
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) problems.push(`delete namespace ${ns}: ${(err as Error).message}`);
    }
  }
  const deadline = Date.now() + timeoutMs;
  let left = namespaces.length;
  while (left > 0 && Date.now() < deadline && !signal?.aborted) {
    left = (await list()).items.length;
    ctx.progress.done = namespaces.length - left;
    if (left > 0) await sleep(250, signal);
  }
  if (left > 0) problems.push(`${left} of ${namespaces.length} namespaces still present after ${Math.round(timeoutMs / 1000)} s`);
  return { kind: 'cleanup', startedAt, endedAt: Date.now(), ok: problems.length === 0, summary: { namespaces: namespaces.length, left }, problems };
}
