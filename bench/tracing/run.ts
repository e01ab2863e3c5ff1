// What per-VMI lifecycle tracing costs the fleet: the fleet bench's run (VMIs created Scheduled,
// one agent started, clock until every VMI is Running) with tracing off, and with the local span
// store on at sampling ratios 0, 0.01 and 1; rounds interleave the modes so a busy machine
// spreads its noise over all of them. Prints per mode (median of the rounds) VMI transitions/s
// counted from the agent being up, and the CPU the watcher and the agent spent per 1,000 VMIs
// after that (steadier than throughput on a shared machine), each with its cost against "off",
// the agent's start-up time (loading the OpenTelemetry SDK is a one-off) and the spans stored.
//   node_modules/.bin/node bench/tracing/run.ts [--vmis 1000] [--nodes 50] [--rounds 3] [--modes off,0,0.01,1]
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VMIS, collectionPath, type KubeObject } from '@virtsim/kube';
import { readSpanStore } from '@virtsim/telemetry';
import { waitFor } from '@virtsim/testkit/wait';
import { createScheduledVmi, currentResourceVersion, nodeName, startFleet } from '../../test/fleet/harness.ts';

const { values } = parseArgs({ options: { vmis: { type: 'string' }, nodes: { type: 'string' }, rounds: { type: 'string' }, modes: { type: 'string' } } });
const VMI_COUNT = Number(values.vmis ?? 1000);
const NODE_COUNT = Number(values.nodes ?? 50);
const ROUNDS = Number(values.rounds ?? 3);
const MODES = (values.modes ?? 'off,0,0.01,1').split(',');

/** CPU seconds (user + system) a process has used, from /proc. */
const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

async function once(mode: string): Promise<{ perSec: number; cpuPer1000: number; startMs: number }> {
  const traces = mkdtempSync(join(tmpdir(), 'virtsim-bench-traces-'));
  const env: Record<string, string> = mode === 'off' ? {} : { VIRTSIM_TRACE_DIR: traces, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: mode };
  const fleet = await startFleet({ agents: 0, nodes: NODE_COUNT, env });
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
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < VMI_COUNT; i = next++) await createScheduledVmi(fleet.client, `bench-${i}`, nodeName(i % NODE_COUNT));
      }),
    );
    const started = Date.now();
    const agent = await fleet.addAgent('agent-0');
    const t0 = Date.now();
    const cpu0 = cpuSeconds(fleet.watcher.child.pid!) + cpuSeconds(agent.child.pid!);
    await waitFor('all Running', () => runningAt.size === VMI_COUNT, { timeoutMs: 600_000, intervalMs: 100 });
    const doneMs = Math.max(...runningAt.values()) - t0;
    const cpu = cpuSeconds(fleet.watcher.child.pid!) + cpuSeconds(agent.child.pid!) - cpu0;
    abort.abort();
    await watching;
    return { perSec: VMI_COUNT / (doneMs / 1000), cpuPer1000: (cpu / VMI_COUNT) * 1000, startMs: t0 - started };
  } finally {
    // Stopped processes have flushed their spans.
    await fleet.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, Array<{ perSec: number; cpuPer1000: number; startMs: number }>>(MODES.map((m) => [m, []]));
console.log(`tracing bench: ${VMI_COUNT} VMIs on ${NODE_COUNT} nodes, 1 agent, ${ROUNDS} rounds of ${MODES.join('/')}`);
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) {
    const r = await once(mode);
    results.get(mode)!.push(r);
    console.log(`  round ${round + 1} ${mode.padEnd(4)} ${r.perSec.toFixed(0)} VMI transitions/s, ${r.cpuPer1000.toFixed(2)} CPU s per 1000 VMIs, agent up in ${r.startMs} ms`);
  }
}
// Spans stored, from one more run at each ratio (stores are per run): counted after the fleet stopped.
const storeOf = async (mode: string) => {
  const before = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('virtsim-bench-traces-')));
  await once(mode);
  const dir = readdirSync(tmpdir()).find((d) => d.startsWith('virtsim-bench-traces-') && !before.has(d))!;
  const path = join(tmpdir(), dir);
  return { spans: readSpanStore(path).length, bytes: readdirSync(path).reduce((n, f) => n + statSync(join(path, f)).size, 0) };
};
const baseRuns = results.get('off') ?? results.get(MODES[0])!;
const base = median(baseRuns.map((r) => r.perSec));
const baseCpu = median(baseRuns.map((r) => r.cpuPer1000));
for (const mode of MODES) {
  const runs = results.get(mode)!;
  const m = median(runs.map((r) => r.perSec));
  const cpu = median(runs.map((r) => r.cpuPer1000));
  const store = mode === 'off' ? undefined : await storeOf(mode);
  console.log(
    `${mode === 'off' ? 'tracing off' : `sampled ${(Number(mode) * 100).toString()}%`}`.padEnd(14) +
      ` ${m.toFixed(0)} VMI transitions/s (of ${runs.map((x) => x.perSec.toFixed(0)).join(', ')})` +
      `${mode === 'off' ? '' : ` = ${(((base - m) / base) * 100).toFixed(1)}% fewer`}` +
      `; ${cpu.toFixed(2)} CPU s per 1000 VMIs${mode === 'off' ? '' : ` = ${(((cpu - baseCpu) / baseCpu) * 100).toFixed(1)}% more`}` +
      `; agent up in ${median(runs.map((r) => r.startMs))} ms` +
      `${store ? `, ${store.spans} spans stored (${(store.bytes / 1024 / 1024).toFixed(1)} MiB)` : ''}`,
  );
}
