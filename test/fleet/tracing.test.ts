import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { createScheduledVmi, listVmis, nodeName, startFleet, type Fleet } from './harness.ts';

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** A minimal OTLP/HTTP (JSON) trace receiver: what a collector would get from the fleet. */
function otlpReceiver(spans: Span[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const msg = JSON.parse(body);
        for (const rs of msg.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes: Record<string, unknown> = {};
              for (const a of s.attributes ?? []) attributes[a.key] = Object.values(a.value ?? {})[0];
              spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, attributes });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
}

describe('tracing: one trace per transition across processes', () => {
  const spans: Span[] = [];
  let receiver: Server;
  let fleet: Fleet;
  beforeAll(async () => {
    receiver = otlpReceiver(spans);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    fleet = await startFleet({ agents: 1, nodes: 4, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' } });
  }, 120_000);
  afterAll(async () => {
    await fleet?.stop();
    receiver?.close();
  }, 60_000);

  it('links the watch event, the NATS hop, the stage and the API write of a VMI start', async () => {
    await createScheduledVmi(fleet.client, 'traced', nodeName(1));
    await waitFor('VMI Running', async () => (await listVmis(fleet.client)).find((v) => v.metadata.name === 'traced')?.status?.phase === 'Running');
    const stage = await waitFor('stage span exported', () =>
      spans.find((s) => s.name === 'stage' && s.attributes['virtsim.stage'] === 'vmi-running' && s.attributes['k8s.object'] === 'VirtualMachineInstance/default/traced'),
    );
    const trace = () => spans.filter((s) => s.traceId === stage.traceId);
    const write = await waitFor('API write span in the same trace', () => trace().find((s) => s.name === 'PATCH virtualmachineinstances'));
    expect(write.parentSpanId).toBe(stage.spanId);
    const received = trace().find((s) => s.spanId === stage.parentSpanId);
    expect(received).toMatchObject({ service: 'node-agent', name: 'event received' });
    const watched = await waitFor('watcher span in the same trace', () => trace().find((s) => s.spanId === received!.parentSpanId));
    expect(watched).toMatchObject({ service: 'watcher', name: 'watch event', attributes: { 'k8s.kind': 'VirtualMachineInstance', 'k8s.object': 'traced' } });
  });
});
