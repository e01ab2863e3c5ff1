import { describe, expect, it } from 'vitest';
import { lifecycleSpanId, lifecycleTraceId } from './lifecycle-ids.ts';
import type { StoredSpan } from './span-store.ts';
import { buildWaterfall, findLifecycle, renderSlowest, renderWaterfall, slowestLifecycles, startupOnly } from './trace-view.ts';

/** A VMI's stored lifecycle: root from 0 to the end of its last phase, phases back to back. */
function lifecycle(uid: string, object: string, phases: Array<[string, number, string]>): StoredSpan[] {
  const traceId = lifecycleTraceId(uid);
  const root = lifecycleSpanId(uid);
  const out: StoredSpan[] = [];
  let t = 1000;
  for (const [phase, ms, by] of phases) {
    out.push({ traceId, spanId: lifecycleSpanId(uid, phase), parentSpanId: root, name: `phase ${phase}`, service: 'watcher', start: t, end: t + ms, attributes: { 'k8s.object': object, 'virtsim.phase': phase, 'virtsim.phase.ended_by': by } });
    t += ms;
  }
  out.push({ traceId, spanId: root, name: `VirtualMachineInstance ${object}`, service: 'watcher', start: 1000, end: t, attributes: { 'virtsim.lifecycle.root': 'VirtualMachineInstance', 'k8s.object': object, 'k8s.uid': uid, 'virtsim.outcome': 'Running' } });
  return out;
}

describe('trace view', () => {
  const a = lifecycle('a', 'ns1/vm-a', [['Pending', 10, 'virt-controller'], ['Scheduled', 300, 'virt-handler']]);
  const b = lifecycle('b', 'ns2/vm-b', [['Pending', 900, 'virt-controller'], ['Scheduled', 50, 'virt-handler']]);
  const c = lifecycle('c', 'ns1/vm-c', [['Pending', 5, 'virt-controller'], ['Scheduled', 5, 'virt-handler']]);
  // A fleet span under Scheduled, and one under the Running phase that has not ended (no span).
  const stage: StoredSpan = { traceId: lifecycleTraceId('a'), spanId: 'f1', parentSpanId: lifecycleSpanId('a', 'Scheduled'), name: 'stage', service: 'node-agent', start: 1100, end: 1200, attributes: { 'virtsim.stage': 'vmi-running' } };
  const later: StoredSpan = { traceId: lifecycleTraceId('a'), spanId: 'f2', parentSpanId: lifecycleSpanId('a', 'Running'), name: 'watch event', service: 'watcher', start: 5000, end: 5001, attributes: { 'k8s.kind': 'VirtualMachineInstance', 'event.type': 'MODIFIED' } };
  const spans = [...a, ...b, ...c, stage, later];

  it('finds a lifecycle by name or namespace/name, and says why it cannot', () => {
    expect(findLifecycle(spans, 'vm-a')).toBe(lifecycleTraceId('a'));
    expect(findLifecycle(spans, 'ns2/vm-b')).toBe(lifecycleTraceId('b'));
    expect(() => findLifecycle(spans, 'nope')).toThrow('no trace of "nope" in the span store');
    const twin = lifecycle('d', 'ns9/vm-a', [['Pending', 1, 'x']]);
    expect(() => findLifecycle([...spans, ...twin], 'vm-a')).toThrow('"vm-a" names several objects (ns1/vm-a, ns9/vm-a): give namespace/name');
  });

  it('nests spans under their phase, shows the open phase, and keeps the startup by default', () => {
    const w = buildWaterfall(spans, lifecycleTraceId('a'));
    expect(w.rows.map((r) => [r.depth, r.span.name])).toEqual([
      [0, 'VirtualMachineInstance ns1/vm-a'],
      [1, 'phase Pending'],
      [1, 'phase Scheduled'],
      [2, 'stage'],
      [1, 'phase Running'],
      [2, 'watch event'],
    ]);
    expect(w.rows[2].waitingFor).toBe('fleet: virt-handler');
    expect(w.rows[1].waitingFor).toBe('control plane: virt-controller');
    const s = startupOnly(w);
    expect(s.rows).toHaveLength(4);
    expect(s.end).toBe(1310);
    const text = renderWaterfall(s, 20);
    expect(text).toContain('VirtualMachineInstance ns1/vm-a   trace');
    expect(text).toMatch(/phase Scheduled +fleet: virt-handler +\|#{20}\| +300 ms/);
    expect(text).toMatch(/    stage +node-agent +\| {6}-{7} {7}\| +100 ms vmi-running/);
    expect(text).toContain('... 2 more spans after the startup');
  });

  it('lists the slowest lifecycles with the phase that took longest', () => {
    const slow = slowestLifecycles(spans, 2);
    expect(slow.map((l) => [l.object, l.durationMs, l.dominantPhase, l.dominantMs])).toEqual([
      ['ns2/vm-b', 950, 'Pending', 900],
      ['ns1/vm-a', 310, 'Scheduled', 300],
    ]);
    expect(renderSlowest(slow)).toContain('Pending 900 ms (95%) waiting for control plane: virt-controller');
    expect(renderSlowest([])).toBe('no finished lifecycles in the span store');
  });
});
