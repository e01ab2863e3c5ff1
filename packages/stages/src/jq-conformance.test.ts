/**
 * Every jq expression in the stage sets we ship or accept (KWOK's, KubeVirt's, virtsim's defaults)
 * compiles, and its fast path gives exactly what the full interpreter gives, on every golden input.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStageFiles } from './files.ts';
import { compileQuery } from './jq-query.ts';
import { goYamlToJson } from '@virtsim/goformats';

const ROOTS = [path.resolve(import.meta.dirname, '../testdata/kwok'), path.resolve(import.meta.dirname, '../../../stages')].filter(existsSync);

const { set, problems } = await checkStageFiles(ROOTS);
const expressions = new Set<string>();
for (const s of set.stages) {
  for (const r of s.requirements) expressions.add(r.query.source);
  for (const v of [s.weight, s.duration, s.jitter]) if (v?.query) expressions.add(v.query.source);
}
const inputs: unknown[] = ROOTS.flatMap((root) =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.input.yaml'))
    .map((e) => goYamlToJson(readFileSync(path.join(e.parentPath, e.name), 'utf8'))),
);
inputs.push({}, { metadata: null, status: 'x' }, null);

describe('jq expressions of the shipped stage sets', () => {
  it('all stage sets load', () => {
    expect(problems).toEqual([]);
    expect(expressions.size).toBeGreaterThan(10);
  });

  it.each([...expressions].map((e) => [e]))('%s: fast path = interpreter on every input', (expr) => {
    const fast = compileQuery(expr);
    const slow = compileQuery(expr, { interpreted: true });
    for (const input of inputs) expect(fast.execute(input)).toEqual(slow.execute(input));
  });
});
