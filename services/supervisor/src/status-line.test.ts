import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusLine } from './status-line.ts';

// A watcher's and an agent's /metrics on loopback.
let server: http.Server;
let base = '';
let watcherUp = true;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/watcher' && watcherUp) {
      res.end(
        [
          'virtsim_watcher_nodes{ready="true",service="watcher"} 2',
          'virtsim_watcher_nodes{ready="false",service="watcher"} 1',
          'virtsim_watcher_vmis{phase="Running",service="watcher"} 12',
          'virtsim_watcher_vmis{phase="Pending",service="watcher"} 1',
          'virtsim_watcher_vmis{phase="Unset",service="watcher"} 2',
        ].join('\n'),
      );
    } else if (req.url === '/agent') {
      res.end('virtsim_agent_transitions_total{stage="vmi-running",kind="VirtualMachineInstance",service="node-agent"} 0\n');
    } else {
      res.writeHead(503).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('StatusLine', () => {
  it("shows the watcher's nodes and VMIs (no phase yet counted as Pending) and keeps the last counts while the watcher is away", async () => {
    const status = new StatusLine({ watcher: () => `${base}/watcher`, agents: () => [`${base}/agent`] });
    const want = 'nodes Ready 2/3 | VMIs 15: Pending 3, Running 12 | transitions/s 0';
    expect(await status.render()).toBe(want);
    watcherUp = false;
    expect(await status.render()).toBe(want);
  });

  it('shows zero counts before the watcher has answered', async () => {
    const status = new StatusLine({ watcher: () => undefined, agents: () => [] });
    expect(await status.render()).toBe('nodes Ready 0/0 | VMIs 0: none | transitions/s 0');
  });
});
