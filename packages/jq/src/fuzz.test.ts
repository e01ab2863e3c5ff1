// Seeded fuzzing of the jq engine with programs built from the grammar's pieces: each compiles or
// fails with a JqSyntaxError, runs or fails with a JqRuntimeError (never a TypeError or a hang),
// and the compiled fast path answers exactly as the interpreter does.
import { describe, expect, it } from 'vitest';
import { fuzz, type Fuzzer } from '@virtsim/testkit/fuzz';
import { compileJq, compileJqInterpreted, JqRuntimeError, JqSyntaxError, type JqProgram } from './index.ts';

// No unbounded generators (recurse, repeat, while, until, limit-less range): every program ends.
const ATOMS = ['.', '.metadata', '.status.phase', '.spec.nodeName', '.items[]', '.[0]', '.a?', 'null', 'true', '1', '"Running"', '[]', '{}', '$x', 'length', 'keys', 'type', 'not', 'empty', 'tostring', 'tonumber', 'ascii_downcase', '.metadata.labels["app"]'];
const BINARY = [' | ', ', ', ' == ', ' != ', ' and ', ' or ', ' // ', ' + ', ' - ', ' < ', ' >= '];
const WRAP = [(e: string) => `select(${e})`, (e: string) => `[${e}]`, (e: string) => `(${e})`, (e: string) => `{a: ${e}}`, (e: string) => `if ${e} then 1 else 2 end`, (e: string) => `try ${e}`, (e: string) => `map(${e})`, (e: string) => `has("a")`, (e: string) => `${e}?`];
// Broken on purpose: unbalanced brackets, stray operators, unknown functions.
const NOISE = ['(', ')', '[', ']', '{', '|', ',', '..', '$', 'nosuchfn', '"', '.[', 'then'];

function program(f: Fuzzer, depth: number): string {
  const x = f.random();
  if (depth <= 0 || x < 0.3) return f.pick(ATOMS);
  if (x < 0.6) return program(f, depth - 1) + f.pick(BINARY) + program(f, depth - 1);
  if (x < 0.95) return f.pick(WRAP)(program(f, depth - 1));
  return program(f, depth - 1) + f.pick(NOISE);
}

function input(f: Fuzzer): unknown {
  return f.pick([
    null,
    { metadata: { name: 'vmi-1', labels: { app: 'x' } }, status: { phase: 'Running' }, spec: { nodeName: 'n1' } },
    { items: [1, 'a', null, { a: 1 }] },
    [3, 1, 2],
    'text',
    42,
    { a: { b: [] } },
  ]);
}

function outcome(p: JqProgram, data: unknown): unknown {
  try {
    return { ok: p.run(data, { x: 'v' }) };
  } catch (e) {
    if (e instanceof JqRuntimeError) return { error: 'runtime' };
    throw e;
  }
}

describe('jq under fuzzed programs', () => {
  it('compiles or refuses, runs or fails cleanly, and the fast path agrees with the interpreter', () => {
    let compiled = 0;
    const tried = fuzz('jq programs', 3000, 20261205, (f) => {
      const src = program(f, 4);
      let fast: JqProgram;
      try {
        fast = compileJq(src, { varNames: ['x'] });
      } catch (e) {
        if (e instanceof JqSyntaxError) return;
        throw new Error(`${JSON.stringify(src)}: ${(e as Error).stack}`);
      }
      compiled++;
      const slow = compileJqInterpreted(src, { varNames: ['x'] });
      const data = input(f);
      expect(outcome(fast, data), src).toEqual(outcome(slow, data));
    });
    // Enough of them valid to have exercised the engine, not only the parser.
    expect(compiled).toBeGreaterThan(tried / 4);
  });
});
