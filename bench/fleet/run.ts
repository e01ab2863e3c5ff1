// End-to-end fleet throughput on this machine, against the embedded API server: N VMIs are created
// already Scheduled (with their launcher pods, as virt-controller leaves them) while no agent runs;
// then 1, 2 or 4 agents start and the clock runs until a watch has seen every VMI Running. That
// measures the fleet (snapshot, stages, writes), not the speed of the load generator. Prints
// transitions/s, start->Running latency, fan-out lag and RSS per agent.
//   node_modules/.bin/node bench/fleet/run.ts [--vmis 2000] [--nodes 100] [--agents 1,2,4]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VMIS, collectionPath, type KubeObject } from '@virtsim/kube';
import { waitFor } from '@virtsim/testkit/wait';
import { createScheduledVmi, currentResourceVersion, nodeName, scrape, startFleet } from '../../test/fleet/harness.ts';

const { values } = parseArgs({ options: { vmis: { type: 'string' }, nodes: { type: 'string' }, agents: { type: 'string' }, concurrency: { type: 'string' } } });
const VMI_COUNT = Number(values.vmis ?? 2000);
const NODE_COUNT = Number(values.nodes ?? 100);
const AGENT_COUNTS = (values.agents ?? '1,2,4').split(',').map(Number);
const CONCURRENCY = Number(values.concurrency ?? 16);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Quantile of a Prometheus histogram (summed over agents), by linear interpolation in its bucket. */
function histogramQuantile(texts: string[], name: string, q: number): number {
  const buckets = new Map<number, number>();
  for (const t of texts) {
    for (const line of t.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`)) continue;
      const le = /le="([^"]+)"/.exec(line)![1]!;
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (!total) return NaN;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= q * total) {
      if (bound === Infinity) return prevBound;
      return prevBound + ((bound - prevBound) * (q * total - prevCount)) / Math.max(1, count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

console.log(`fleet bench: ${VMI_COUNT} VMIs on ${NODE_COUNT} nodes, create concurrency ${CONCURRENCY}, agents ${AGENT_COUNTS.join('/')}`);
for (const agents of AGENT_COUNTS) {
  const fleet = await startFleet({ agents: 0, nodes: NODE_COUNT });
  try {
    const runningAt = new Map<string, number>();
    const rv = await currentResourceVersion(fleet.client, collectionPath(VMIS));
    const abort = new AbortController();
    const watching = fleet.client
      .stream({ path: collectionPath(VMIS), query: { watch: true, resourceVersion: rv }, signal: abort.signal }, (line) => {
        const ev = JSON.parse(line) as { object: KubeObject };
        if (ev.object?.status?.phase === 'Running' && !runningAt.has(ev.object.metadata.name)) runningAt.set(ev.object.metadata.name, Date.now());
      })
      .catch(() => undefined);
    const c0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < VMI_COUNT; i = next++) await createScheduledVmi(fleet.client, `bench-${i}`, nodeName(i % NODE_COUNT));
      }),
    );
    const createdMs = Date.now() - c0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: agents }, (_, i) => fleet.addAgent(`agent-${i}`)));
    const startedMs = Date.now() - t0;
    await waitFor('all Running', () => runningAt.size === VMI_COUNT, { timeoutMs: 600_000, intervalMs: 100 });
    const doneMs = Math.max(...runningAt.values()) - t0;
    const lat = [...runningAt.values()].map((t) => t - t0);
    const metrics = await Promise.all([...fleet.agents.values()].map((a) => scrape(a.readyValue as string)));
    const rss = [...fleet.agents.values()].map((a) => rssMiB(a.child.pid!));
    abort.abort();
    await watching;
    console.log(
      [
        `agents ${agents}:`,
        `(load created ${VMI_COUNT} VMIs + pods in ${(createdMs / 1000).toFixed(1)} s)`,
        `agents up in ${(startedMs / 1000).toFixed(1)} s, all Running after ${(doneMs / 1000).toFixed(1)} s = ${(VMI_COUNT / (doneMs / 1000)).toFixed(0)} VMI transitions/s`,
        `(${(VMI_COUNT / (Math.max(1, doneMs - startedMs) / 1000)).toFixed(0)}/s counted from agents up)`,
        `(pods too: ${((2 * VMI_COUNT) / (doneMs / 1000)).toFixed(0)} object transitions/s);`,
        `start->Running P50 ${pct(lat, 50)} ms P99 ${pct(lat, 99)} ms;`,
        `fan-out lag P50 ${(histogramQuantile(metrics, 'virtsim_agent_fanout_lag_seconds', 0.5) * 1000).toFixed(1)} ms P99 ${(histogramQuantile(metrics, 'virtsim_agent_fanout_lag_seconds', 0.99) * 1000).toFixed(1)} ms;`,
        `agent RSS ${rss.map((r) => r.toFixed(0)).join('/')} MiB`,
      ].join(' '),
    );
  } finally {
    await fleet.stop();
  }
}
