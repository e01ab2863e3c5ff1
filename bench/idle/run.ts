// The idle cost of a fleet: one embedded cluster of --nodes fake nodes (10,000), all Ready, then
// CPU seconds and RSS per process over --seconds (30) with nothing changing but heartbeats (node
// Leases, virt-handler's node heartbeat). The issue's checkpoint: 10,000 nodes <= 0.25 core.
// The window starts --settle-seconds (150) after all nodes are Ready: each node's first virt-handler
// heartbeat comes 60-132 s after that, so a shorter settle measures the Leases alone, not the steady
// state (at 20 s the same fleet measured 0.22 of a core instead of 0.43).
//   node_modules/.bin/node bench/idle/run.ts [--nodes 10000] [--agents 2] [--settle-seconds 150] [--seconds 30] [--lease-duration-seconds 40]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessStats, startEmbeddedCluster } from '@virtsim/loadtest';
import { createLogger } from '@virtsim/telemetry';
import { freePort } from '../../test/loadtest/harness.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string' }, agents: { type: 'string' }, 'settle-seconds': { type: 'string' }, seconds: { type: 'string' }, 'lease-duration-seconds': { type: 'string' } } });
const nodes = Number(values.nodes ?? 10_000);
const seconds = Number(values.seconds ?? 30);
const log = createLogger('bench-idle');
log.level = 'warn';
const dir = mkdtempSync(join(tmpdir(), 'virtsim-idle-'));
const lease = values['lease-duration-seconds'] ? Number(values['lease-duration-seconds']) : undefined;

console.log(`idle: starting the embedded cluster with ${nodes} nodes${lease ? `, node Leases of ${lease} s` : ''}...`);
const cluster = await startEmbeddedCluster({ nodes, agents: Number(values.agents ?? 2), stateDir: join(dir, 'state'), apiPort: await freePort(), natsPort: await freePort(), leaseDurationSeconds: lease }, (l) => console.log(l), log);
try {
  // Past the registration burst and into the steady state of both heartbeats (see above).
  await sleep(Number(values['settle-seconds'] ?? 150) * 1000);
  // This process runs `virtsim up`'s supervisor and status line: it is measured too.
  const stats = new ProcessStats([...cluster.processes(), { name: 'up', pid: () => process.pid }]);
  stats.sample();
  await sleep(seconds * 1000);
  const last = stats.sample();
  let cpu = 0;
  let rss = 0;
  let pss = 0;
  console.log(`\nidle ${nodes} nodes over ${seconds} s (CPU s, share of one core, RSS MiB, PSS MiB: shared pages counted once)`);
  for (const [name, s] of Object.entries(last).sort((a, b) => b[1].cpuSeconds - a[1].cpuSeconds)) {
    cpu += s.cpuSeconds;
    rss += s.rssMiB;
    pss += s.pssMiB ?? s.rssMiB;
    console.log(`  ${name.padEnd(14)} ${s.cpuSeconds.toFixed(2).padStart(6)} s  ${(s.cpuSeconds / seconds).toFixed(3)} core  ${s.rssMiB.toFixed(0).padStart(5)} MiB  ${(s.pssMiB ?? NaN).toFixed(0).padStart(5)} MiB`);
  }
  console.log(`  ${'all'.padEnd(14)} ${cpu.toFixed(2).padStart(6)} s  ${(cpu / seconds).toFixed(3)} core  ${rss.toFixed(0).padStart(5)} MiB  ${pss.toFixed(0).padStart(5)} MiB`);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
