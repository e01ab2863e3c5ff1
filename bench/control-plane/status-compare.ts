// The virt-controller stand-in's "is this status already there?" check: every field of a planned
// VMI status compared with the VMI's own (what `unchanged` does on each VMI change), by walking the
// values (json-equal.ts) and, for comparison, by serializing both with sorted keys (how it was
// done before). Prints microseconds per status check. Not a test.
//   node_modules/.bin/node bench/control-plane/status-compare.ts [--rounds 5] [--checks 100000]
import { parseArgs } from 'node:util';
import { same, sortedJson } from '../../services/control-plane/src/json-equal.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, checks: { type: 'string', default: '100000' } } });
const ts = (s: number) => new Date(Date.UTC(2026, 11, 7, 6, 0, s)).toISOString().replace('.000Z', 'Z');
// A Running VMI's status as the stand-in and the agents write it, and the stand-in's plan for it.
const current = {
  phase: 'Running',
  nodeName: 'virtsim-node-01234',
  qosClass: 'Burstable',
  launcherContainerImageVersion: 'quay.io/kubevirt/virt-launcher:v1.4.0',
  migrationMethod: 'BlockMigration',
  migrationTransport: 'Unix',
  activePods: { '0b5d2f8e-3c1a-4b7e-9d6f-2a8c4e1b7f30': 'virtsim-node-01234' },
  conditions: [
    { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: ts(3) },
    { type: 'LiveMigratable', status: 'True', lastProbeTime: null, lastTransitionTime: null },
    { type: 'StorageLiveMigratable', status: 'True', lastProbeTime: null, lastTransitionTime: null },
  ],
  phaseTransitionTimestamps: ['Pending', 'Scheduling', 'Scheduled', 'Running'].map((phase, i) => ({ phase, phaseTransitionTimestamp: ts(i) })),
  guestOSInfo: {},
  currentCPUTopology: { cores: 1, sockets: 1, threads: 1 },
  memory: { guestAtBoot: '1Gi', guestCurrent: '1Gi', guestRequested: '1Gi' },
  volumeStatus: [{ name: 'containerdisk', target: '' }],
};
const planned = structuredClone(current);
const bySortedJson = (a: unknown, b: unknown) => sortedJson(a ?? null) === sortedJson(b ?? null);

function measure(eq: (a: unknown, b: unknown) => boolean, checks: number): number {
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let i = 0; i < checks; i++) if (Object.entries(planned).every(([k, v]) => eq((current as Record<string, unknown>)[k], v))) n++;
  if (n !== checks) throw new Error('the statuses should compare equal');
  return Number(process.hrtime.bigint() - t0) / 1000 / checks;
}

const checks = Number(values.checks);
console.log(`status check of a Running VMI (${Object.keys(current).length} fields), µs per check:`);
for (let r = 1; r <= Number(values.rounds); r++) {
  console.log(`  round ${r}: walk ${measure(same, checks).toFixed(2)}   sorted JSON ${measure(bySortedJson, checks).toFixed(2)}`);
}
