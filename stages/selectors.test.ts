/**
 * The default sets are evaluated for every change of every node, pod and VMI in the fleet, so their
 * selectors must stay cheap: label/annotation maps, and jq programs that @virtsim/jq compiles to
 * direct functions (no interpreter, no CEL). This test fails when a stage edit adds an expression
 * that falls back to the full jq interpreter.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileJq } from '@virtsim/jq';
import { goYamlToJson } from '@virtsim/goformats';
import { SET_NAMES, stageFilesOf } from './stage-fixtures.ts';

interface Expr {
  stage: string;
  where: string;
  jq?: string;
  cel?: string;
}

function expressionsOf(file: string): Expr[] {
  const doc = goYamlToJson(readFileSync(file, 'utf8')) as { metadata: { name: string }; spec: Record<string, any> };
  const stage = doc.metadata.name;
  const out: Expr[] = [];
  const from = (where: string, f: any) => {
    if (!f) return;
    if (f.expressionFrom) out.push({ stage, where, jq: f.expressionFrom });
    if (f.jq?.expression) out.push({ stage, where, jq: f.jq.expression });
    if (f.cel?.expression) out.push({ stage, where, cel: f.cel.expression });
  };
  (doc.spec.selector?.matchExpressions ?? []).forEach((m: any, i: number) => {
    const where = `selector.matchExpressions[${i}]`;
    if (m.key) out.push({ stage, where, jq: m.key });
    if (m.jq?.key) out.push({ stage, where, jq: m.jq.key });
    if (m.cel?.expression) out.push({ stage, where, cel: m.cel.expression });
  });
  from('weightFrom', doc.spec.weightFrom);
  from('delay.durationFrom', doc.spec.delay?.durationFrom);
  from('delay.jitterDurationFrom', doc.spec.delay?.jitterDurationFrom);
  return out;
}

const exprs = SET_NAMES.flatMap((s) => stageFilesOf(s)).flatMap(expressionsOf);

describe('selector cost of the default sets', () => {
  it('uses no CEL', () => {
    expect(exprs.filter((e) => e.cel)).toEqual([]);
  });

  it.each(exprs.filter((e) => e.jq).map((e) => [`${e.stage} ${e.where}: ${e.jq}`, e] as const))('%s takes the jq fast path', (_n, e) => {
    expect(compileJq(e.jq!).fastPath).toBe(true);
  });
});
