import type { RunContext, PhaseResult } from '../run-context.ts';
import type { ObjectCreator } from './object-creator.ts';

/** Density: `count` objects at `rate`/`burst`. */
export async function runCreate(ctx: RunContext, creator: ObjectCreator): Promise<PhaseResult> {
  const { count, qps, burst, name } = ctx.config;
  const startedAt = Date.now();
  Object.assign(ctx.progress, { phase: 'create', done: 0, total: count, startedAt, qps, burst });
  const items = (function* () {
    for (let i = 0; i < count; i++) yield { index: i, name: `${name}-${i}` };
  })();
  await creator.createAll(items, qps, burst, 0, () => ctx.progress.done++);
  const endedAt = Date.now();
  const created = creator.createdCount;
  const problems = creator.refused.size ? [`${creator.refused.size} creates refused (first: ${[...creator.refused][0].join(': ')})`] : [];
  if (ctx.signal.aborted) problems.push(`stopped after ${created} of ${count} creates`);
  return {
    kind: 'create',
    startedAt,
    endedAt,
    ok: problems.length === 0,
    summary: { asked: count, created, refused: creator.refused.size, retries: creator.counters.retries, qpsAsked: qps, qpsAchieved: round2(created / Math.max(0.001, (endedAt - startedAt) / 1000)) },
    problems,
  };
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
