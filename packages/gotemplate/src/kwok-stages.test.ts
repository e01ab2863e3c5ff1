// Every template in KWOK's shipped stage files parses and renders to valid
// YAML on sample objects, and where KWOK ships golden output for a status
// template, the rendered status equals it. KWOK's own functions are supplied
// here the way KWOK's golden-file harness does: placeholders such as <Now>.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { goQuote, parseTemplate, sprigFuncs } from './index.ts';
import type { FuncMap } from './index.ts';
import { referencePath } from '@virtsim/testkit/reference';

const ROOT = referencePath('kwok', 'stages');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

function docs(file: string): any[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);
}

/** Quote as KWOK defines it: JSON-encode (Go escapes <, >, &), re-quote non-strings. */
function kwokQuote(s: unknown): string {
  const data = JSON.stringify(s ?? null);
  if (data.startsWith('"')) return data.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return goQuote(data);
}

function kwokYAML(v: unknown, indent?: number): string {
  let data = stringify(v ?? null);
  if (indent !== undefined && indent > 0) data = ('\n' + data).replaceAll('\n', '\n' + ' '.repeat(indent * 2));
  return data;
}

const fmtArgs = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? goQuote(a) : String(a))).join(', ');

const NODE_CONDITIONS = [
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['NetworkUnavailable', 'False', 'RouteCreated', 'RouteController created a route'],
].map(([type, status, reason, message]) => ({ type, status, reason, message, lastHeartbeatTime: null, lastTransitionTime: null }));

const kwokFuncs: FuncMap = {
  Now: () => '<Now>',
  StartTime: () => '<StartTime>',
  Version: () => '<Version>',
  Quote: kwokQuote,
  YAML: kwokYAML,
  NodeConditions: () => NODE_CONDITIONS,
  NodeIP: () => '<NodeIP>',
  NodeName: () => '<NodeName>',
  NodePort: () => '<NodePort>',
  NodeIPWith: (...a: unknown[]) => `<NodeIPWith(${fmtArgs(a)})>`,
  PodIPWith: (...a: unknown[]) => `<PodIPWith(${fmtArgs(a)})>`,
  NodeIPsWith: (...a: unknown[]) => [0, 1].map((i) => `<${i} of NodeIPsWith(${fmtArgs(a)})>`),
  PodIPsWith: (...a: unknown[]) => [0, 1].map((i) => `<${i} of PodIPsWith(${fmtArgs(a)})>`),
};
const funcs: FuncMap = { ...sprigFuncs, ...kwokFuncs };
const funcNames = Object.keys(funcs);

interface Tpl { file: string; stage: string; kind: string; path: string; src: string }

function collectTemplates(): Tpl[] {
  const out: Tpl[] = [];
  for (const file of walk(ROOT)) {
    if (file.includes('/testdata/')) continue;
    for (const doc of docs(file)) {
      if (doc.kind !== 'Stage') continue;
      const visit = (v: unknown, path: string) => {
        if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`));
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if ((k === 'statusTemplate' || k === 'template') && typeof x === 'string') {
              out.push({ file, stage: doc.metadata.name, kind: doc.spec.resourceRef.kind, path: `${path}.${k}`, src: x });
            } else visit(x, `${path}.${k}`);
          }
        }
      };
      visit(doc.spec, 'spec');
    }
  }
  return out;
}

const samples = new Map<string, any[]>();
for (const file of walk(ROOT).filter((f) => f.endsWith('.input.yaml'))) {
  for (const obj of docs(file)) samples.set(obj.kind, [...(samples.get(obj.kind) ?? []), obj]);
}

// Objects as the stages meet them in a cluster, for kinds whose testdata lacks them.
const EXTRA: Record<string, any[]> = {
  Pod: [{
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'running', namespace: 'default', uid: 'uid-p', annotations: { a: 'b' } },
    spec: {
      nodeName: 'node', containers: [{ name: 'c1', image: 'img' }, { name: 'c2', image: 'img2' }],
      initContainers: [{ name: 'i1', image: 'init', restartPolicy: 'Always' }],
      readinessGates: [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'c1', image: 'img', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } },
        { name: 'c2', image: 'img2', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }],
      initContainerStatuses: [{ name: 'i1', image: 'init', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }],
    },
  }],
  VirtualMachineInstance: [{
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',
    metadata: { name: 'vmi', namespace: 'default', uid: 'uid-v' },
    spec: { nodeSelector: { type: 'kwok' }, domain: { devices: {} } },
    status: {
      activePods: { 'uid-launcher': 'node-1' },
      launcherContainerImageVersion: 'quay.io/kubevirt/virt-launcher:v1.5.0',
      memory: { guestAtBoot: '90Mi', guestCurrent: '90Mi', guestRequested: '90Mi' },
      nodeName: 'node-1',
      phase: 'Scheduled',
      phaseTransitionTimestamps: [
        { phase: 'Pending', phaseTransitionTimestamp: '2024-01-01T00:00:00Z' },
        { phase: 'Scheduling', phaseTransitionTimestamp: '2024-01-01T00:00:01Z' },
        { phase: 'Scheduled', phaseTransitionTimestamp: '2024-01-01T00:00:02Z' },
      ],
      qosClass: 'Guaranteed',
      runtimeUser: 107,
      volumeStatus: [{ name: 'containerdisk', target: '' }],
    },
  }],
};

function samplesFor(kind: string): any[] {
  const own = [...(samples.get(kind) ?? []), ...(EXTRA[kind] ?? [])];
  if (own.length > 0) return own;
  return [{ apiVersion: 'v1', kind, metadata: { name: 'sample', namespace: 'default', uid: 'uid-1' }, spec: {}, status: {} }];
}

// KWOK trims the template text before parsing; the engine does the same.
const render = (src: string, obj: unknown) => parseTemplate(src.trim(), { funcNames }).execute(obj, funcs);

const templates = collectTemplates();

describe('KWOK stage templates', () => {
  it('finds the shipped templates', () => {
    expect(templates.length).toBeGreaterThanOrEqual(18);
  });

  for (const t of templates) {
    it(`${relative(ROOT, t.file)} ${t.stage} ${t.path} renders valid YAML`, () => {
      // Templates that index existing status (e.g. containerStatuses) fail in
      // Go as well on objects that lack it; one realistic object must render.
      const results = samplesFor(t.kind).map((obj) => {
        try {
          return { ok: true, text: render(t.src, obj) };
        } catch (e) {
          return { ok: false, text: (e as Error).message };
        }
      });
      const ok = results.filter((r) => r.ok);
      expect(ok.length, results.map((r) => r.text).join('\n')).toBeGreaterThan(0);
      for (const r of ok) expect(() => parseYaml(r.text)).not.toThrow();
    });
  }

  it('vmi-ready renders the Running status with the phase transition appended', () => {
    const t = templates.find((x) => x.stage === 'vmi-ready')!;
    const vmi = EXTRA.VirtualMachineInstance![0];
    const status = parseYaml(render(t.src, vmi));
    expect(status.phase).toBe('Running');
    expect(status.nodeName).toBe('node-1');
    expect(status.runtimeUser).toBe(107);
    expect(status.activePods).toEqual(vmi.status.activePods);
    expect(status.volumeStatus).toEqual(vmi.status.volumeStatus);
    expect(status.phaseTransitionTimestamps.map((p: any) => p.phase)).toEqual(['Pending', 'Scheduling', 'Scheduled', 'Running']);
    expect(status.conditions).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: '<Now>' }]);
  });
});

describe('KWOK golden status templates', () => {
  for (const out of walk(ROOT).filter((f) => f.endsWith('.output.yaml'))) {
    const golden = docs(out)[0];
    const input = docs(out.replace('.output.yaml', '.input.yaml'))[0];
    for (const st of golden.stages ?? []) {
      const tpl = templates.find((t) => t.stage === st.stage && dirname(dirname(out)) === dirname(t.file) && t.path === 'spec.next.statusTemplate');
      const patch = (st.next ?? []).find((n: any) => n.kind === 'patch' && n.subresource === 'status');
      if (!tpl || !patch) continue;
      it(`${relative(ROOT, out)}: ${st.stage} renders the golden status`, () => {
        const rendered = parseYaml(render(tpl.src, input));
        expect({ status: rendered }).toEqual(patch.data);
      });
    }
  }
});

