import { afterEach, describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { createRegistry } from './metrics.ts';
import { startOpsEndpoint, type OpsEndpoint } from './http-endpoint.ts';

describe('ops endpoint', () => {
  let ep: OpsEndpoint | undefined;
  afterEach(async () => ep?.close());

  it('serves registered metrics and health on a port it picked', async () => {
    const registry = createRegistry('test');
    const c = new Counter({ name: 'virtsim_test_events_total', help: 'events', registers: [registry] });
    c.inc(3);
    let problem: string | null = null;
    ep = await startOpsEndpoint({ registry, port: 0, health: () => problem });
    expect(ep.port).toBeGreaterThan(0);
    const metrics = await (await fetch(`${ep.url}/metrics`)).text();
    expect(metrics).toContain('virtsim_test_events_total{service="test"} 3');
    expect((await fetch(`${ep.url}/healthz`)).status).toBe(200);
    problem = 'nats disconnected';
    const bad = await fetch(`${ep.url}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.text()).toBe('nats disconnected');
  });
});
