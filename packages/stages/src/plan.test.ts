/** Steps → requests: order, delete, finalizers, patch types, roots, impersonation, templates, IP pools. */
import { describe, expect, it } from 'vitest';
import { parseStageText } from './files.ts';
import { IPPools } from './ip-pool.ts';
import type { KubeObject } from './types.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

function one(spec: Record<string, unknown>, kind = 'Pod', apiGroup = 'v1') {
  return parseStageText(
    JSON.stringify({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Stage',
      metadata: { name: 'st' },
      spec: { resourceRef: { apiGroup, kind }, selector: {}, ...spec },
    }),
  );
}

const pod = (extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, ...extra });
const vmi = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v', namespace: 'ns' },
  ...extra,
});

describe('legacy next', () => {
  it('runs event, finalizers, status patch, delete in that order; the delete carries grace period 0', () => {
    const s = one({
      next: {
        event: { type: 'Normal', reason: 'Killing', message: 'Stopping container' },
        finalizers: { empty: true },
        statusTemplate: 'phase: Failed',
        delete: true,
      },
    });
    const p = s.plan(pod({ metadata: { name: 'p', finalizers: ['a'] } }), { now: NOW })!;
    expect(p.requests.map((r) => r.kind)).toEqual(['event', 'patch', 'patch', 'delete']);
    expect(p.requests[1]).toMatchObject({ type: 'json', data: [{ op: 'remove', path: '/metadata/finalizers' }], finalizers: true, subresource: '' });
    expect(p.requests[2]).toMatchObject({ type: 'strategic', subresource: 'status', root: 'status', data: { status: { phase: 'Failed' } } });
    expect(p.requests[3]).toEqual({ kind: 'delete', step: 3, gracePeriodSeconds: 0 });
  });

  it('statusSubresource "" patches the main resource as statusPatchAs (KubeVirt vmi-ready)', () => {
    const s = one(
      { next: { statusTemplate: 'phase: Running', statusSubresource: '', statusPatchAs: { username: 'system:serviceaccount:kubevirt:kubevirt-controller' } } },
      'VirtualMachineInstance',
      'kubevirt.io/v1',
    );
    const [r] = s.plan(vmi(), { now: NOW })!.requests;
    expect(r).toEqual({
      kind: 'patch',
      step: 0,
      subresource: '',
      root: 'status',
      type: 'merge',
      data: { status: { phase: 'Running' } },
      impersonate: { username: 'system:serviceaccount:kubevirt:kubevirt-controller' },
    });
  });
});

describe('steps', () => {
  it('after a delete only events are sent', () => {
    const s = one({
      steps: [{ delete: true }, { event: { type: 'Normal', reason: 'Gone' } }, { patch: { template: 'x: 1' } }, { finalizers: { add: [{ value: 'f' }] } }],
    });
    expect(s.plan(pod(), { now: NOW })!.requests.map((r) => r.kind)).toEqual(['delete', 'event']);
  });

  it('no finalizer request when nothing changes', () => {
    const s = one({ steps: [{ finalizers: { remove: [{ value: 'x' }] } }] });
    expect(s.plan(pod({ metadata: { name: 'p', finalizers: ['y'] } }), { now: NOW })!.requests).toEqual([]);
  });

  it('patch type: strategic for Pod/Node by default, merge for other kinds and for untyped evaluation; explicit types kept', () => {
    const tpl = { template: 'a: 1' };
    expect(one({ steps: [{ patch: tpl }] }).plan(pod(), { now: NOW })!.requests[0]).toMatchObject({ type: 'strategic' });
    expect(one({ steps: [{ patch: tpl }] }).plan(pod(), { now: NOW, typedCoreKinds: false })!.requests[0]).toMatchObject({ type: 'merge' });
    expect(one({ steps: [{ patch: tpl }] }, 'VirtualMachineInstance', 'kubevirt.io/v1').plan(vmi(), { now: NOW })!.requests[0]).toMatchObject({ type: 'merge' });
    expect(one({ steps: [{ patch: { ...tpl, type: 'merge' } }] }).plan(pod(), { now: NOW })!.requests[0]).toMatchObject({ type: 'merge' });
  });

  it('a json patch under a root gets the root prefixed to every path', () => {
    const s = one({ steps: [{ patch: { root: 'status', subresource: 'status', type: 'json', template: '- op: replace\n  path: /phase\n  value: Running' } }] });
    expect(s.plan(pod(), { now: NOW })!.requests[0]).toMatchObject({ type: 'json', data: [{ op: 'replace', path: '/status/phase', value: 'Running' }] });
  });

  it('a template that renders nothing gives null (under a root: {root: null})', () => {
    const s = one({ steps: [{ patch: { root: 'status', template: '{{ if false }}x: 1{{ end }}' } }, { patch: { template: '' } }] });
    const [a, b] = s.plan(pod(), { now: NOW })!.requests;
    expect(a).toMatchObject({ data: { status: null } });
    expect(b).toMatchObject({ data: null });
  });

  it('apply renders a whole object; default type apply', () => {
    const s = one({ steps: [{ apply: { template: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ .metadata.name }}' } }] });
    expect(s.plan(pod(), { now: NOW })!.requests[0]).toEqual({
      kind: 'apply',
      step: 0,
      subresource: '',
      type: 'apply',
      data: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-p' } },
    });
  });

  it('immediateNextStage is reported', () => {
    expect(one({ immediateNextStage: true, steps: [{ patch: { template: 'a: 1' } }] }).plan(pod(), { now: NOW })!.immediateNextStage).toBe(true);
  });
});

describe('templates', () => {
  const render = (template: string, obj: KubeObject = pod(), env = {}) =>
    one({ steps: [{ patch: { template, type: 'merge' } }] }).plan(obj, { now: NOW, env })!.requests[0] as { data: unknown };

  it('Now is RFC3339Nano of the plan time; Quote is JSON quoting', () => {
    expect(render('t: {{ Now }}\nq: {{ "a\\"b" | Quote }}').data).toEqual({ t: '2026-01-01T12:00:00.25Z', q: 'a"b' });
  });

  it('YAML re-emits a sub-tree, indented by 2×N spaces', () => {
    const obj = pod({ status: { activePods: { uid1: 'node1' }, list: [{ a: 1 }] } });
    expect(render('activePods:\n{{ YAML .status.activePods 1 }}\nlist:\n{{ YAML .status.list 0 }}- b: 2', obj).data).toEqual({
      activePods: { uid1: 'node1' },
      list: [{ a: 1 }, { b: 2 }],
    });
  });

  it('YAML of a missing field is null', () => {
    expect(render('x:\n{{ YAML .status.missing 1 }}', pod({ status: {} })).data).toEqual({ x: null });
  });

  it('renders through YAML 1.1 as Go does: yes is true, 0777 octal', () => {
    expect(render('a: yes\nb: 0777\nc: "yes"').data).toEqual({ a: true, b: 511, c: 'yes' });
  });

  it('NodeConditions gives the five kubelet conditions', () => {
    const d = render('conditions:\n{{ range NodeConditions }}- type: {{ .type }}\n  status: {{ .status | Quote }}\n{{ end }}').data as { conditions: { type: string }[] };
    expect(d.conditions.map((c) => c.type)).toEqual(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);
  });

  it('NodeIPWith/PodIPsWith use the node object and per-CIDR pools; unknown nodes get NodeIP', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDRs: ['10.244.1.0/24', 'fd00:1::/64'] },
      status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.168.0.5' }, { type: 'InternalIP', address: 'fd00::5' }] },
    };
    const env = { nodeIP: '10.0.0.100', getNode: (n: string) => (n === 'n1' ? node : undefined), ipPools: new IPPools() };
    const list = (call: string) => `[{{ range $i, $e := ${call} }}{{ if $i }}, {{ end }}{{ $e | Quote }}{{ end }}]`;
    const tpl = `host: {{ NodeIPWith .spec.nodeName }}\nhosts: ${list('NodeIPsWith .spec.nodeName')}\nips: ${list('PodIPsWith .spec.nodeName false "" "" ""')}`;
    expect(render(tpl, pod({ spec: { nodeName: 'n1' } }), env).data).toEqual({
      host: '192.168.0.5',
      hosts: ['192.168.0.5', 'fd00::5'],
      ips: ['10.244.1.1', 'fd00:1::1'],
    });
    expect(render(tpl, pod({ spec: { nodeName: 'n1' } }), env).data).toMatchObject({ ips: ['10.244.1.2', 'fd00:1::2'] });
    expect(render(tpl, pod({ spec: { nodeName: 'elsewhere' } }), env).data).toEqual({ host: '10.0.0.100', hosts: ['10.0.0.100'], ips: ['10.0.0.100'] });
    expect(render('ip: {{ PodIPWith .spec.nodeName true "" "" "" }}', pod({ spec: { nodeName: 'n1' } }), env).data).toEqual({ ip: '192.168.0.5' });
  });
});
