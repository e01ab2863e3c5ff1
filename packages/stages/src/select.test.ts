/** KWOK's selection rules: selectors, resourceRef, weights/weightFrom, delays and jitter. */
import { describe, expect, it } from 'vitest';
import { StageEvalError } from './errors.ts';
import { parseStageText } from './files.ts';
import type { KubeObject } from './types.ts';

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);

interface StageOpts {
  name?: string;
  apiGroup?: string;
  kind?: string;
  selector?: unknown;
  weight?: number;
  weightFrom?: unknown;
  delay?: unknown;
}

function stageYaml(o: StageOpts): string {
  const spec: Record<string, unknown> = {
    resourceRef: { apiGroup: o.apiGroup ?? 'v1', kind: o.kind ?? 'Pod' },
    selector: o.selector === undefined ? {} : o.selector,
    next: { delete: true },
  };
  if (o.weight !== undefined) spec.weight = o.weight;
  if (o.weightFrom) spec.weightFrom = o.weightFrom;
  if (o.delay) spec.delay = o.delay;
  return JSON.stringify({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name: o.name ?? 's' }, spec });
}

function set(...stages: StageOpts[]) {
  return parseStageText(stages.map(stageYaml).join('\n---\n'), 'test.yaml');
}

function pod(extra: Partial<KubeObject> & { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  const { labels, annotations, ...rest } = extra;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels, annotations }, ...rest };
}

const names = (s: ReturnType<typeof set>, obj: KubeObject) => s.matching(obj, { now: NOW }).map((x) => x.name);

describe('selectors', () => {
  it('matchLabels and matchAnnotations require every pair; {} matches everything', () => {
    const s = set(
      { name: 'labels', selector: { matchLabels: { a: '1', b: '2' } } },
      { name: 'annotations', selector: { matchAnnotations: { x: 'y' } } },
      { name: 'all', selector: {} },
    );
    expect(names(s, pod({ labels: { a: '1', b: '2', c: '3' } }))).toEqual(['labels', 'all']);
    expect(names(s, pod({ labels: { a: '1' }, annotations: { x: 'y' } }))).toEqual(['annotations', 'all']);
  });

  it('a stage with a null selector is ignored', () => {
    const s = set({ name: 'off', selector: null }, { name: 'on' });
    expect(names(s, pod())).toEqual(['on']);
  });

  it('matches resourceRef exactly (apiGroup is group/version)', () => {
    const s = set({ name: 'vmi', apiGroup: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' });
    expect(names(s, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'v' } })).toEqual(['vmi']);
    expect(names(s, { apiVersion: 'kubevirt.io/v1alpha3', kind: 'VirtualMachineInstance', metadata: { name: 'v' } })).toEqual([]);
    expect(s.select(pod(), { now: NOW })).toBeNull();
  });

  it('In compares strings, and bools as "true"/"false"; numbers never match', () => {
    const s = set(
      { name: 'phase', selector: { matchExpressions: [{ key: '.status.phase', operator: 'In', values: ['Running'] }] } },
      { name: 'bool', selector: { matchExpressions: [{ jq: { key: '.spec.hostNetwork', operator: 'In', values: ['true'] } }] } },
      { name: 'num', selector: { matchExpressions: [{ key: '.spec.priority', operator: 'In', values: ['1'] }] } },
    );
    expect(names(s, pod({ status: { phase: 'Running' }, spec: { hostNetwork: true, priority: 1 } }))).toEqual(['phase', 'bool']);
  });

  it('NotIn and DoesNotExist hold when the query yields nothing; Exists counts empty strings', () => {
    const s = set(
      { name: 'notin', selector: { matchExpressions: [{ key: '.status.phase', operator: 'NotIn', values: ['Running'] }] } },
      { name: 'absent', selector: { matchExpressions: [{ key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' }] } },
      { name: 'exists', selector: { matchExpressions: [{ key: '.status.podIP', operator: 'Exists' }] } },
    );
    expect(names(s, pod())).toEqual(['notin', 'absent']);
    expect(names(s, pod({ status: { podIP: '' } }))).toEqual(['notin', 'absent', 'exists']);
  });

  it('any output of a multi-output query counts for In; a jq runtime error means no value', () => {
    const s = set(
      { name: 'ready', selector: { matchExpressions: [{ key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'In', values: ['True'] }] } },
      { name: 'err', selector: { matchExpressions: [{ key: '.metadata.name | tonumber', operator: 'DoesNotExist' }] } },
    );
    const p = pod({ status: { conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }] } });
    expect(names(s, p)).toEqual(['ready', 'err']);
  });

  it('evaluates CEL with self = the object, integers as ints', () => {
    const s = set(
      { name: 'cel', selector: { matchExpressions: [{ cel: { expression: "self.status.phase == 'Running' && self.spec.priority + 1 == 2" } }] } },
      { name: 'has', selector: { matchExpressions: [{ cel: { expression: '!has(self.metadata.deletionTimestamp)' } }] } },
    );
    expect(names(s, pod({ status: { phase: 'Running' }, spec: { priority: 1 } }))).toEqual(['cel', 'has']);
  });

  it('a CEL error aborts matching for the object, as in KWOK', () => {
    const s = set({ name: 'bad', selector: { matchExpressions: [{ cel: { expression: 'self.spec.missing == 1' } }] } });
    expect(() => s.select(pod({ spec: {} }), { now: NOW })).toThrow(StageEvalError);
  });
});

describe('choosing among matching stages', () => {
  it('a single match is chosen whatever its weight', () => {
    const s = set({ name: 'only', weight: 0 });
    expect(s.select(pod(), { now: NOW })?.stage.name).toBe('only');
  });

  it('all weights 0: uniform among all', () => {
    const s = set({ name: 'a' }, { name: 'b' }, { name: 'c' });
    expect(s.select(pod(), { now: NOW, random: () => 0 })?.stage.name).toBe('a');
    expect(s.select(pod(), { now: NOW, random: () => 0.5 })?.stage.name).toBe('b');
    expect(s.select(pod(), { now: NOW, random: () => 0.99 })?.stage.name).toBe('c');
  });

  it('weight-0 stages are never chosen when another matching stage has weight > 0', () => {
    const s = set({ name: 'normal', weight: 0 }, { name: 'chaos', weight: 10000 });
    for (const r of [0, 0.5, 0.9999]) expect(s.select(pod(), { now: NOW, random: () => r })?.stage.name).toBe('chaos');
    expect(s.listAllPossible(pod(), { now: NOW }).map((p) => p.stage.name)).toEqual(['chaos']);
  });

  it('weighted random in proportion to weights', () => {
    const s = set({ name: 'a', weight: 1 }, { name: 'b', weight: 3 });
    expect(s.select(pod(), { now: NOW, random: () => 0.2 })?.stage.name).toBe('a');
    expect(s.select(pod(), { now: NOW, random: () => 0.3 })?.stage.name).toBe('b');
  });

  it('weightFrom: strings parsed as ints (base prefixes too), numbers truncated, missing falls back to weight', () => {
    const wf = { expressionFrom: '.metadata.annotations["w"]' };
    const s = set({ name: 'a', weight: 1, weightFrom: wf }, { name: 'b', weight: 1 });
    const pick = (w: string | undefined, r: number) =>
      s.select(pod({ annotations: w === undefined ? {} : { w } }), { now: NOW, random: () => r })?.stage.name;
    expect(pick('0x3', 0.7)).toBe('a'); // weights 3:1
    expect(pick('0', 0.1)).toBe('b'); // a has weight 0
    expect(pick(undefined, 0.4)).toBe('a'); // falls back to weight 1 → 1:1
  });

  it('weightFrom giving "" or an unparsable string leaves that stage out', () => {
    const s = set({ name: 'a', weightFrom: { jq: { expression: '.metadata.annotations["w"]' } } }, { name: 'b' });
    expect(s.listAllPossible(pod({ annotations: { w: '' } }), { now: NOW }).map((p) => p.stage.name)).toEqual(['b']);
    expect(s.listAllPossible(pod({ annotations: { w: 'x' } }), { now: NOW }).map((p) => p.stage.name)).toEqual(['b']);
    expect(s.select(pod({ annotations: { w: 'x' } }), { now: NOW, random: () => 0 })?.stage.name).toBe('b');
  });
});

describe('delay', () => {
  const sel = (delay: unknown, p: KubeObject = pod(), random = () => 0) => set({ name: 'd', delay }).select(p, { now: NOW, random });

  it('durationMilliseconds', () => {
    expect(sel({ durationMilliseconds: 1500 })).toMatchObject({ delayMs: 1500, hasDelay: true });
    expect(sel(undefined)).toMatchObject({ delayMs: 0, hasDelay: false });
  });

  it('durationFrom: an RFC3339 time is relative to now, a Go duration string is taken as is', () => {
    const ts = new Date(NOW + 30_000).toISOString();
    expect(sel({ durationMilliseconds: 1, durationFrom: { expressionFrom: '.metadata.annotations.d' } }, pod({ annotations: { d: ts } }))?.delayMs).toBe(30_000);
    expect(sel({ durationMilliseconds: 1, durationFrom: { expressionFrom: '.metadata.annotations.d' } }, pod({ annotations: { d: '2m' } }))?.delayMs).toBe(120_000);
  });

  it('durationFrom: numbers and unparsable strings fall back to durationMilliseconds; "" means no delay', () => {
    const delay = { durationMilliseconds: 700, durationFrom: { expressionFrom: '.spec.d' } };
    expect(sel(delay, pod({ spec: { d: 5 } }))?.delayMs).toBe(700);
    expect(sel(delay, pod({ spec: { d: 'soon' } }))?.delayMs).toBe(700);
    expect(sel(delay, pod({ spec: { d: '' } }))).toMatchObject({ hasDelay: false, delayMs: 0 });
  });

  it('a time in the past gives no wait', () => {
    const ts = new Date(NOW - 60_000).toISOString();
    expect(sel({ durationFrom: { expressionFrom: '.spec.d' } }, pod({ spec: { d: ts } }))).toMatchObject({ hasDelay: true, delayMs: 0 });
  });

  it('jitter ≤ duration is used as the delay; otherwise the delay is uniform in [duration, jitter)', () => {
    expect(sel({ durationMilliseconds: 5000, jitterDurationMilliseconds: 2000 })?.delayMs).toBe(2000);
    expect(sel({ durationMilliseconds: 1000, jitterDurationMilliseconds: 5000 }, pod(), () => 0)?.delayMs).toBe(1000);
    expect(sel({ durationMilliseconds: 1000, jitterDurationMilliseconds: 5000 }, pod(), () => 0.5)?.delayMs).toBe(3000);
    const range = set({ name: 'd', delay: { durationMilliseconds: 1000, jitterDurationMilliseconds: 5000 } }).listAllPossible(pod(), { now: NOW });
    expect(range[0]?.delayNs).toEqual([1e9, 5e9]);
  });

  it('jitter without a duration gives no delay; a CEL-only jitterDurationFrom is ignored', () => {
    expect(sel({ jitterDurationMilliseconds: 5000 })).toMatchObject({ hasDelay: false });
    expect(sel({ durationMilliseconds: 1000, jitterDurationFrom: { cel: { expression: "duration('9s')" } } })?.delayMs).toBe(1000);
  });

  it('jitterDurationFrom a deletionTimestamp: delete at a random time before it', () => {
    const p = pod({ metadata: { name: 'p', deletionTimestamp: new Date(NOW + 30_000).toISOString() } });
    const delay = { durationMilliseconds: 1000, jitterDurationFrom: { expressionFrom: '.metadata.deletionTimestamp' } };
    expect(sel(delay, p, () => 0.5)?.delayMs).toBe(15_500);
  });

  it('durationFrom CEL must give a duration', () => {
    expect(sel({ durationFrom: { cel: { expression: "duration('3s')" } } })?.delayMs).toBe(3000);
  });
});
