import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJq, compileJqInterpreted, JqRuntimeError } from './index.ts';
import { toJson } from './values.ts';
import { referencePath } from '@virtsim/testkit/reference';

const KWOK_STAGES = referencePath('kwok', 'stages');
/** virtsim's own default stage sets (written alongside; checked when present). */
const VIRTSIM_STAGES = resolve(import.meta.dirname, '../../../stages');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/** jq expressions of KWOK stage files: `key:` in matchExpressions (legacy and `jq:` forms), `expressionFrom:`, `jq: {expression}`. */
function stageExpressions(dir: string): string[] {
  const found = new Set<string>();
  for (const file of yamlFiles(dir)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^\s*-?\s*(key|expressionFrom|expression):\s*(.+?)\s*$/.exec(line);
      if (!m) continue;
      let v = m[2]!;
      if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"'))) v = v.slice(1, -1);
      if (v.startsWith('.')) found.add(v);
    }
  }
  return [...found].sort();
}

type Outcome = { outputs: string[] } | { error: string };

function outcome(f: () => unknown[]): Outcome {
  try {
    return { outputs: f().map(toJson) };
  } catch (e) {
    if (e instanceof JqRuntimeError) return { error: e.message };
    throw e;
  }
}

/** tryRun() must be run() with null instead of the error. */
function tryRunOutcome(f: () => unknown[] | null): Outcome | 'null' {
  const out = f();
  return out === null ? 'null' : { outputs: out.map(toJson) };
}

function expectedTryRun(o: Outcome): Outcome | 'null' {
  return 'error' in o ? 'null' : o;
}

function firstOutcome(f: () => unknown): Outcome {
  try {
    const v = f();
    return { outputs: v === undefined ? [] : [toJson(v)] };
  } catch (e) {
    if (e instanceof JqRuntimeError) return { error: e.message };
    throw e;
  }
}

const samples: unknown[] = [
  null,
  {},
  { metadata: { name: 'n' } },
  {
    metadata: {
      name: 'pod',
      deletionTimestamp: '2024-01-01T00:00:00Z',
      labels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' },
      annotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '5s', 'pod-ready.stage.kwok.x-k8s.io/weight': '3' },
      ownerReferences: [{ kind: 'Job' }, { kind: 'ReplicaSet' }],
      finalizers: ['kwok.x-k8s.io/fake'],
    },
    spec: { nodeSelector: { type: 'kwok' } },
    status: {
      phase: 'Running',
      podIP: '10.0.0.1',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'False' },
      ],
      initContainerStatuses: [{ state: { running: { startedAt: 'x' } } }, { state: { waiting: { reason: 'PodInitializing' } } }],
      containerStatuses: [{ state: { running: { startedAt: 'y' } } }],
    },
  },
  { metadata: { finalizers: 'not-a-list', ownerReferences: 3 }, status: { conditions: { a: 1 }, phase: 7 } },
  { status: 'odd', metadata: [] },
  [1, 2],
  'string',
];

describe('KWOK stage expressions', () => {
  const exprs = stageExpressions(KWOK_STAGES);

  it('finds the expressions of the shipped stage files', () => {
    expect(exprs).toContain('.status.phase');
    expect(exprs).toContain('.status.conditions.[] | select( .type == "Ready" ) | .status');
    expect(exprs.length).toBeGreaterThan(30);
  });

  for (const expr of exprs) {
    it(`${expr} takes the fast path and agrees with the interpreter`, () => {
      const fast = compileJq(expr);
      const slow = compileJqInterpreted(expr);
      expect(fast.fastPath).toBe(true);
      expect(slow.fastPath).toBe(false);
      for (const input of samples) {
        const want = outcome(() => slow.run(input));
        expect(outcome(() => fast.run(input))).toEqual(want);
        expect(tryRunOutcome(() => fast.tryRun(input))).toEqual(expectedTryRun(want));
        expect(tryRunOutcome(() => slow.tryRun(input))).toEqual(expectedTryRun(want));
        expect(firstOutcome(() => fast.first(input))).toEqual(firstOutcome(() => slow.first(input)));
      }
    });
  }

  it('gives the values a selector reads', () => {
    const pod = samples[3];
    expect(compileJq('.status.conditions.[] | select( .type == "Ready" ) | .status').run(pod)).toEqual(['False']);
    expect(compileJq('.metadata.ownerReferences.[].kind').run(pod)).toEqual(['Job', 'ReplicaSet']);
    expect(compileJq('.metadata.annotations["pod-ready.stage.kwok.x-k8s.io/delay"]').first(pod)).toBe('5s');
    expect(compileJq('.metadata.deletionTimestamp').first({})).toBeNull();
    expect(() => compileJq('.status.phase').run({ status: 'odd' })).toThrow('expected an object but got: string ("odd")');
    expect(() => compileJq('.status.conditions.[]').run({})).toThrow('cannot iterate over: null');
    expect(compileJq('.status.conditions.[]').tryRun({})).toBeNull();
    expect(compileJq('.status.conditions.[]?').tryRun({})).toEqual([]);
  });

  it('falls back to the interpreter for other programs', () => {
    for (const expr of ['def f: .; f', 'reduce .[] as $x (0; . + $x)', '.. | numbers', 'path(.a)', '.a |= 1', 'try .a catch "x"']) {
      expect(compileJq(expr).fastPath).toBe(false);
    }
    expect(compileJq('[.a[]?] | length').fastPath).toBe(true);
    expect(compileJq('.a // "default"').fastPath).toBe(true);
    expect(compileJq('has("x") and (.y | length) > 1').fastPath).toBe(true);
    expect(compileJq('.metadata.labels[$k]', { varNames: ['k'] }).run({ metadata: { labels: { a: 1 } } }, { k: 'a' })).toEqual([1]);
  });
});

describe('virtsim default stage expressions', () => {
  const exprs = existsSync(VIRTSIM_STAGES) ? stageExpressions(VIRTSIM_STAGES) : [];
  for (const expr of exprs) {
    it(`${expr} compiles and the fast path (when taken) agrees with the interpreter`, () => {
      const fast = compileJq(expr);
      const slow = compileJqInterpreted(expr);
      for (const input of samples) {
        expect(outcome(() => fast.run(input))).toEqual(outcome(() => slow.run(input)));
      }
    });
  }
});

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fast path and interpreter agree on random programs and objects', () => {
  const rnd = prng(20260422);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const KEYS = ['a', 'b', 'type', 'status', 'x-y'] as const;
  const LITS = ['null', 'true', 'false', '0', '1', '2.5', '"a"', '"True"', '"Ready"', '[]', '{}'];

  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth <= 0 || r < 0.35) return pick([null, true, false, 0, 1, 2.5, -1, 'a', 'True', 'Ready', '']);
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth - 1));
    const o: Record<string, unknown> = {};
    for (const k of KEYS) if (rnd() < 0.5) o[k] = value(depth - 1);
    return o;
  };

  const path = (depth: number): string => {
    let p = pick(['.', '.a', '.b', '.type', '.status']);
    const steps = Math.floor(rnd() * (depth + 1));
    for (let i = 0; i < steps; i++) {
      const step = pick(['.a', '.b', '.type', '["x-y"]', '."status"', '[0]', '[1]', '[-1]', '[]', '.[]', '?', '[1:]', '[:2]']);
      p = p === '.' && step.startsWith('.') ? step : p + step;
    }
    return p;
  };

  const cond = (depth: number): string => {
    const r = rnd();
    if (depth <= 0 || r < 0.5) return `${path(1)} ${pick(['==', '!=', '<', '>=']) } ${pick(LITS)}`;
    if (r < 0.65) return `(${cond(depth - 1)}) and (${cond(depth - 1)})`;
    if (r < 0.8) return `(${cond(depth - 1)}) or (${cond(depth - 1)})`;
    if (r < 0.9) return `${path(1)} | not`;
    return `has("${pick(KEYS)}")`;
  };

  const expr = (depth: number): string => {
    const r = rnd();
    if (depth <= 0 || r < 0.3) return path(3);
    if (r < 0.45) return `${expr(depth - 1)} | ${expr(depth - 1)}`;
    if (r < 0.55) return `select(${cond(2)})`;
    if (r < 0.63) return `${path(2)} // ${pick(LITS)}`;
    if (r < 0.7) return `[${expr(depth - 1)}] | length`;
    if (r < 0.76) return `${expr(depth - 1)}, ${expr(depth - 1)}`;
    if (r < 0.82) return pick(['length', 'keys', 'type', 'tostring', `has("${pick(KEYS)}")`, 'not', 'first(.[])', 'map(.a)']);
    if (r < 0.88) return `(${expr(depth - 1)})?`;
    if (r < 0.94) return `if ${cond(1)} then ${path(2)} else ${pick(LITS)} end`;
    return `${path(2)} == ${path(2)}`;
  };

  it('on 4000 random (program, object) pairs, with the same outputs or the same error', () => {
    let fastCount = 0;
    for (let i = 0; i < 4000; i++) {
      const e = expr(3);
      const input = value(4);
      const fast = compileJq(e);
      const slow = compileJqInterpreted(e);
      if (fast.fastPath) fastCount++;
      const context = { expr: e, input: JSON.stringify(input) };
      const want = outcome(() => slow.run(input));
      expect({ ...context, ...outcome(() => fast.run(input)) }).toEqual({ ...context, ...want });
      expect({ ...context, tryRun: tryRunOutcome(() => fast.tryRun(input)) }).toEqual({ ...context, tryRun: expectedTryRun(want) });
      expect({ ...context, ...firstOutcome(() => fast.first(input)) }).toEqual({ ...context, ...firstOutcome(() => slow.first(input)) });
    }
    // every shape the generator produces is one the fast path compiles
    expect(fastCount).toBe(4000);
  });
});
