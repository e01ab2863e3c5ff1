// KubeVirt's KWOK perf lane, on the embedded cluster: 8,000 VMIs of KubeVirt's density template at
// 10/s on 8,000 fake nodes (kube-burner's kubevirt-density job), creation->Running quantiles printed
// beside the lane's published figures. Takes ~15 min at the defaults (800 s of creates).
//   node_modules/.bin/node bench/kubevirt-lane/run.ts [--count 8000] [--nodes 8000] [--rate 10] [--agents 2]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig, runLoadtest } from '@virtsim/loadtest';
import { freePort } from '../../test/loadtest/harness.ts';

const { values } = parseArgs({ options: { count: { type: 'string' }, nodes: { type: 'string' }, rate: { type: 'string' }, agents: { type: 'string' }, out: { type: 'string' } } });
const count = Number(values.count ?? 8000);
const nodes = Number(values.nodes ?? 8000);
const rate = Number(values.rate ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'virtsim-kubevirt-lane-'));

// KubeVirt's lane (kwok-8000vmi-8000nodes), creation->Running in seconds, over its recent runs.
const LANE = { P50: '0.46-0.63', P95: '0.97-1.6', P99: '1.58-1.9' };

const config = resolveConfig({ name: 'kubevirt-density', count, rate, burst: Math.ceil(rate), phases: ['create', { wait: { timeout: '20m' } }, 'cleanup'] }, {});
const outcome = await runLoadtest({
  config,
  up: { nodes, agents: Number(values.agents ?? 2), stateDir: join(dir, 'state'), apiPort: await freePort(), natsPort: await freePort() },
  out: values.out ?? join(dir, 'report'),
  live: process.stdout.isTTY ? 'tty' : 'lines',
});
const { report } = outcome;
const s = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
console.log(`\nkubevirt-lane: ${count} VMIs at ${rate}/s on ${nodes} nodes, ${report.counts.reachedRunning} Running, ${report.durationSeconds} s; report ${outcome.outDir}/report.html`);
console.log('latency           P50 s   P95 s   P99 s   max s   | KubeVirt lane P50 / P95 / P99 s');
for (const name of ['VMIScheduled', 'VMIRunning', 'PodReady']) {
  const q = report.quantiles[name];
  const lane = name === 'VMIRunning' ? `| ${LANE.P50} / ${LANE.P95} / ${LANE.P99}` : '';
  console.log(`${name.padEnd(16)} ${s(q?.P50).padStart(6)}  ${s(q?.P95).padStart(6)}  ${s(q?.P99).padStart(6)}  ${s(q?.max).padStart(6)}   ${lane}`);
}
for (const [name, p] of Object.entries(report.processes)) console.log(`  ${name.padEnd(14)} CPU ${p.cpuSeconds.toFixed(1).padStart(7)} s   peak RSS ${p.peakRssMiB.toFixed(0).padStart(5)} MiB`);
