import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NatsServer } from '@virtsim/testkit/nats-server';
import { waitFor } from '@virtsim/testkit/wait';
import { Bus } from './bus.ts';
import type { BusDecodeError, DecodedEvent, KubeObject } from './envelope.ts';
import { slotOf } from './slot.ts';
import { eventSubject } from './subjects.ts';

// Three nodes in three different slots.
function nodesInDistinctSlots(count: number): string[] {
  const bySlot = new Map<number, string>();
  for (let i = 0; bySlot.size < count; i++) {
    const name = `virtsim-node-${String(i).padStart(5, '0')}`;
    if (!bySlot.has(slotOf(name))) bySlot.set(slotOf(name), name);
  }
  return [...bySlot.values()];
}

const pod = (name: string, node: string, rv: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', resourceVersion: String(rv) },
  spec: { nodeName: node },
});

describe('bus over a real nats-server', () => {
  let server: NatsServer;
  let watcher: Bus;
  let agent: Bus;
  const [nodeA, nodeB, nodeC] = nodesInDistinctSlots(3);

  beforeAll(async () => {
    // A small max_payload so that snapshots must be cut into several parts.
    server = await NatsServer.start({ config: 'max_payload: 65536\n' });
    watcher = await Bus.connect({ servers: server.url, name: 'test-watcher', reconnectTimeWaitMs: 50 });
    agent = await Bus.connect({ servers: server.url, name: 'test-agent', reconnectTimeWaitMs: 50 });
  });
  afterAll(async () => {
    await agent?.close();
    await watcher?.close();
    await server?.close();
  });

  it('delivers events of the subscribed slots only, and reports garbage without stopping', async () => {
    const got: DecodedEvent[] = [];
    const bad: BusDecodeError[] = [];
    const sub = agent.subscribeSlots({ onEvent: (e) => got.push(e), onBadMessage: (e) => bad.push(e) });
    sub.setSlots([slotOf(nodeA), slotOf(nodeB)]);
    await agent.flush();

    watcher.publish({ type: 'ADDED', kind: 'Pod', node: nodeA, object: pod('a', nodeA, 1), receivedAt: Date.now() });
    watcher.publish({ type: 'ADDED', kind: 'Pod', node: nodeC, object: pod('c', nodeC, 2), receivedAt: Date.now() });
    watcher.nc.publish(eventSubject(slotOf(nodeB)), new TextEncoder().encode('garbage'));
    watcher.publish({ type: 'ADDED', kind: 'Pod', node: nodeB, object: pod('b', nodeB, 3), receivedAt: Date.now() });

    await waitFor('events of A and B', () => got.length >= 2 && bad.length >= 1);
    expect(got.map((e) => e.object.metadata.name).sort()).toEqual(['a', 'b']);
    expect(bad[0].subject).toBe(eventSubject(slotOf(nodeB)));
    expect(bad[0].message).toMatch(/message has no headers/);

    // Following an assignment change: B revoked, C added.
    const change = sub.setSlots([slotOf(nodeA), slotOf(nodeC)]);
    expect(change).toEqual({ added: [slotOf(nodeC)], removed: [slotOf(nodeB)] });
    await agent.flush();
    watcher.publish({ type: 'MODIFIED', kind: 'Pod', node: nodeB, object: pod('b', nodeB, 4), receivedAt: Date.now() });
    watcher.publish({ type: 'MODIFIED', kind: 'Pod', node: nodeC, object: pod('c', nodeC, 5), receivedAt: Date.now() });
    await waitFor('event of C', () => got.some((e) => e.object.metadata.name === 'c'));
    await watcher.flush();
    await agent.flush();
    expect(got.filter((e) => e.object.metadata.name === 'b').map((e) => e.resourceVersion)).toEqual(['3']);
    sub.close();
  });

  it('skips an event over the size limit unread, names it, and keeps delivering', async () => {
    const got: DecodedEvent[] = [];
    const bad: BusDecodeError[] = [];
    const sub = agent.subscribeSlots({ onEvent: (e) => got.push(e), onBadMessage: (e) => bad.push(e) }, { maxEventBytes: 16 * 1024 });
    sub.setSlots([slotOf(nodeA)]);
    await agent.flush();
    const huge = { ...pod('huge', nodeA, 40), metadata: { ...pod('huge', nodeA, 40).metadata, annotations: { pad: 'x'.repeat(20 * 1024) } } };
    watcher.publish({ type: 'MODIFIED', kind: 'Pod', node: nodeA, object: huge, receivedAt: Date.now() });
    watcher.publish({ type: 'MODIFIED', kind: 'Pod', node: nodeA, object: pod('small', nodeA, 41), receivedAt: Date.now() });
    await waitFor('the small event after the huge one', () => got.some((e) => e.object.metadata.name === 'small'));
    expect(got.map((e) => e.object.metadata.name)).toEqual(['small']);
    expect(bad).toHaveLength(1);
    expect(bad[0].code).toBe('too_large');
    expect(bad[0].reason).toMatch(new RegExp(`^Pod default/huge on node ${nodeA} \\(resourceVersion 40\\): body is \\d+ bytes, over the limit of 16384$`));
    sub.close();
  });

  it('leaves an object larger than max_payload out of a snapshot instead of failing it', async () => {
    const skipped: string[] = [];
    const big = { ...pod('too-big', nodeA, 50), metadata: { ...pod('too-big', nodeA, 50).metadata, annotations: { pad: 'é'.repeat(40 * 1024) } } };
    const served = watcher.serveSnapshots(() => [{ kind: 'Pod', node: nodeA, object: pod('before', nodeA, 49) }, { kind: 'Pod', node: nodeA, object: big }, { kind: 'Pod', node: nodeA, object: pod('after', nodeA, 51) }], {
      onSkip: (item, bytes, limit) => skipped.push(`${item.object.metadata.name} ${bytes > limit}`),
    });
    await watcher.flush();
    // 40 Ki two-byte characters: 80 KiB, over the 64 KiB max_payload though the string is 40 Ki long.
    const items = await agent.requestSnapshot([slotOf(nodeA)], { timeoutMs: 5_000 });
    expect(items.map((i) => i.object.metadata.name)).toEqual(['before', 'after']);
    expect(skipped).toEqual(['too-big true']);
    served.unsubscribe();
    // The server has the unsubscription before the next test expects nobody to serve snapshots.
    await watcher.flush();
  });

  it('serves a snapshot larger than max_payload in parts, and fails clearly with no server', async () => {
    await expect(agent.requestSnapshot([1, 2], { timeoutMs: 2_000 })).rejects.toThrow(/no watcher is serving/);
    const nodes = nodesInDistinctSlots(40);
    const objects = nodes.flatMap((node) =>
      Array.from({ length: 25 }, (_, i) => ({ kind: 'Pod', node, object: { ...pod(`${node}-p${i}`, node, i + 1), metadata: { ...pod(`${node}-p${i}`, node, i + 1).metadata, managedFields: [{ manager: 'x' }], annotations: { pad: 'x'.repeat(300) } } } })),
    );
    const served = watcher.serveSnapshots((slots) => {
      const want = new Set(slots);
      return objects.filter((o) => want.has(slotOf(o.node)));
    });
    await watcher.flush();
    const slots = nodes.slice(0, 30).map(slotOf);
    const items = await agent.requestSnapshot(slots, { timeoutMs: 5_000 });
    // 30 nodes x 25 pods x ~400 bytes is several times the 64 KiB max_payload.
    expect(items.length).toBe(30 * 25);
    expect(new Set(items.map((i) => i.node))).toEqual(new Set(nodes.slice(0, 30)));
    expect(items.every((i) => i.object.metadata.managedFields === undefined)).toBe(true);
    await expect(agent.requestSnapshot([5000])).rejects.toThrow(/slots\[\] must be an integer in \[0, 1024\)/);
    served.unsubscribe();
  });

  it('sends an item held as JSON text as is', async () => {
    const [node] = nodesInDistinctSlots(1);
    const whole = pod('held-as-text', node!, 7);
    const served = watcher.serveSnapshots(() => [{ kind: 'Pod', node: node!, object: { metadata: whole.metadata }, json: JSON.stringify(whole) }]);
    await watcher.flush();
    const items = await agent.requestSnapshot([slotOf(node!)], { timeoutMs: 5_000 });
    expect(items).toEqual([{ kind: 'Pod', node, object: whole }]);
    served.unsubscribe();
    await watcher.flush();
  });

  it("carries the publisher's trace context through the server to the subscriber", async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const got: DecodedEvent[] = [];
      const sub = agent.subscribeSlots({ onEvent: (e) => got.push(e), onBadMessage: () => {} });
      sub.setSlots([slotOf(nodeC)]);
      await agent.flush();
      const sc = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
      const ctx = trace.setSpan(context.active(), trace.wrapSpanContext(sc) as Span);
      watcher.publish({ type: 'ADDED', kind: 'Pod', node: nodeC, object: pod('traced', nodeC, 7), receivedAt: Date.now() }, ctx);
      await waitFor('the traced event', () => got.length === 1);
      expect(trace.getSpanContext(got[0].traceContext)).toMatchObject({ traceId: sc.traceId, spanId: sc.spanId, isRemote: true });
      sub.close();
    } finally {
      propagation.disable();
    }
  });

  it('resumes delivery after the NATS server restarts', async () => {
    const got: DecodedEvent[] = [];
    const sub = agent.subscribeSlots({ onEvent: (e) => got.push(e), onBadMessage: () => {} });
    sub.setSlots([slotOf(nodeA)]);
    await agent.flush();
    let reconnects = 0;
    agent.onReconnect(() => reconnects++);
    const oldPid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    // The old server process is gone, not left behind.
    expect(() => process.kill(oldPid!, 0)).toThrow(/ESRCH/);
    await waitFor('both connections back', () => agent.connected && watcher.connected && reconnects === 1);
    // The subscription is re-sent by the client after reconnecting; publish until it is in place.
    let rv = 100;
    await waitFor('an event after the restart', async () => {
      watcher.publish({ type: 'MODIFIED', kind: 'Pod', node: nodeA, object: pod('a', nodeA, ++rv), receivedAt: Date.now() });
      await watcher.flush();
      return got.length > 0;
    }, { intervalMs: 50 });
    expect(got[0].object.metadata.name).toBe('a');
    sub.close();
  });
});
