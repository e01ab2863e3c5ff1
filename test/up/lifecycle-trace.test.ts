import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { KubeClient, VMIS, collectionPath, type KubeObject } from '@virtsim/kube';
import { lifecycleTraceId, readSpanStore, type StoredSpan } from '@virtsim/telemetry';
import { freePort, runUp, runVirtsim } from './run-up.ts';

// A small fleet from `virtsim up` with its local span store, VMIs created through the API and
// scheduled by the control-plane stand-ins: one VMI's whole start is one trace.

const vmi = (name: string): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace: 'default' },
  spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } }, terminationGracePeriodSeconds: 0 },
});

describe('per-VMI lifecycle traces in the local span store', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-trace-'));
  let up: ReturnType<typeof runUp>;
  let client: KubeClient;
  beforeAll(async () => {
    up = runUp(['--state-dir', stateDir, '--nodes', '4', '--agents', '1', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C') || up.child.exitCode !== null, { timeoutMs: 60_000 });
    expect(up.out()).toContain(`traces      ${stateDir}/traces/`);
    client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
  }, 90_000);
  afterAll(async () => {
    client?.close();
    up?.child.kill('SIGTERM');
    await up?.exited;
  }, 30_000);

  it('records a VMI from creation to Running as one trace: tiled phases, fleet spans under the phase they served, and virtsim trace draws it', async () => {
    const names = ['trace-a', 'trace-b', 'trace-c'];
    const uids: Record<string, string> = {};
    for (const name of names) uids[name] = (await client.request<KubeObject>({ method: 'POST', path: collectionPath(VMIS, 'default'), body: vmi(name) })).metadata.uid!;
    await waitFor('VMIs Running', async () => {
      const items = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(VMIS, 'default') })).items;
      return items.filter((v) => v.status?.phase === 'Running').length === names.length;
    }, { timeoutMs: 30_000 });

    const uid = uids['trace-b'];
    const traceId = lifecycleTraceId(uid);
    // Spans reach the store in batches: wait for the root and the stage that made the VMI run.
    const spans = await waitFor('root and vmi-running stage spans stored', () => {
      const all = readSpanStore(join(stateDir, 'traces'));
      const mine = all.filter((s) => s.attributes['k8s.object'] === 'default/trace-b' || s.attributes['k8s.object'] === 'trace-b' || s.traceId === traceId);
      const ok = mine.some((s) => s.attributes['virtsim.lifecycle.root']) && mine.some((s) => s.attributes['virtsim.stage'] === 'vmi-running');
      return ok ? all : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });

    // A single trace id for everything about this VMI.
    const aboutVmi = spans.filter((s) => s.attributes['k8s.object'] === 'default/trace-b' || (s.attributes['k8s.kind'] === 'VirtualMachineInstance' && s.attributes['k8s.object'] === 'trace-b'));
    expect(new Set(aboutVmi.map((s) => s.traceId))).toEqual(new Set([traceId]));
    const trace = spans.filter((s) => s.traceId === traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));

    // The root, and the phases before Running tiling it in order, no gap beyond 1 ms.
    const root = trace.find((s) => s.attributes['virtsim.lifecycle.root'])!;
    expect(root).toMatchObject({ name: 'VirtualMachineInstance default/trace-b', service: 'watcher', attributes: { 'k8s.uid': uid, 'virtsim.outcome': 'Running' } });
    const phases = trace.filter((s) => s.parentSpanId === root.spanId && s.name.startsWith('phase ')).sort((a, b) => a.start - b.start);
    expect(phases.map((p) => p.attributes['virtsim.phase'])).toEqual(['Unset', 'Pending', 'Scheduling', 'Scheduled']);
    expect(Math.abs(phases[0].start - root.start)).toBeLessThanOrEqual(1);
    for (let i = 1; i < phases.length; i++) {
      expect(Math.abs(phases[i].start - phases[i - 1].end), `gap before ${phases[i].name}`).toBeLessThanOrEqual(1);
      expect(phases[i - 1].attributes['virtsim.phase.next']).toBe(phases[i].attributes['virtsim.phase']);
    }
    expect(Math.abs(phases.at(-1)!.end - root.end)).toBeLessThanOrEqual(1);
    // Who ended each phase: the control plane until Scheduled, the fleet (virt-handler's part) to Running.
    expect(phases.at(-1)!.attributes['virtsim.phase.ended_by']).toBe('virt-handler');
    expect(phases[1].attributes['virtsim.phase.ended_by']).toBe('virt-controller');

    // Fleet spans nest under the phase they served.
    const phaseOf = (s: StoredSpan): string | undefined => {
      for (let p = s.parentSpanId && byId.get(s.parentSpanId); p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
        if (typeof p.attributes['virtsim.phase'] === 'string') return p.attributes['virtsim.phase'] as string;
      }
      return undefined;
    };
    const running = trace.find((s) => s.name === 'stage' && s.attributes['virtsim.stage'] === 'vmi-running')!;
    expect(phaseOf(running)).toBe('Scheduled');
    const write = trace.find((s) => s.name === 'PATCH virtualmachineinstances' && s.parentSpanId === running.spanId);
    expect(write?.service).toBe('node-agent');
    const chain = [];
    for (let s: StoredSpan | undefined = running; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(`${s.service}:${s.name}`);
    expect(chain).toEqual(['node-agent:stage', 'node-agent:event received', 'watcher:watch event', 'watcher:phase Scheduled', 'watcher:VirtualMachineInstance default/trace-b']);
    expect(trace.some((s) => s.name === 'delay' && s.parentSpanId === running.spanId)).toBe(true);
    // The launcher pod's stage served the VMI too.
    const podStage = trace.find((s) => s.name === 'stage' && s.attributes['virtsim.stage'] === 'launcher-pod-running');
    expect(podStage && phaseOf(podStage)).toMatch(/^(Pending|Scheduling)$/);

    // virtsim trace prints the waterfall and the slowest list.
    const shown = runVirtsim('trace', ['--state-dir', stateDir, 'default/trace-b']);
    expect(await shown.exited).toBe(0);
    const out = shown.out();
    expect(out).toContain(`VirtualMachineInstance default/trace-b   trace ${traceId}`);
    const rows = out.split('\n');
    const at = (text: string) => rows.findIndex((l) => l.includes(text));
    expect(at('phase Unset')).toBeLessThan(at('phase Pending'));
    expect(at('phase Scheduling')).toBeLessThan(at('phase Scheduled'));
    expect(rows[at('phase Scheduled')]).toContain('fleet: virt-handler');
    expect(rows[at('phase Pending')]).toContain('control plane: virt-controller');
    expect(at('vmi-running')).toBeGreaterThan(at('phase Scheduled'));
    const slowest = runVirtsim('trace', ['--state-dir', stateDir, '--slowest', '2']);
    expect(await slowest.exited).toBe(0);
    expect(slowest.out().split('\n').filter((l) => l.startsWith('default/trace-'))).toHaveLength(2);
    const missing = runVirtsim('trace', ['--state-dir', stateDir, 'no-such-vmi']);
    expect(await missing.exited).toBe(1);
    expect(missing.err()).toContain('no trace of "no-such-vmi"');
  }, 60_000);
});
