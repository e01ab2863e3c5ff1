// jq benchmark: evaluations per second of stage-selector expressions, compiled fast path vs the
// interpreter, on a rotating set of 1,000 pod-like objects (one core, no allocation besides jq's).
//   node_modules/.bin/node bench/jq/run.ts [--ms 400]
import { parseArgs } from 'node:util';
import { compileJq, compileJqInterpreted, type JqProgram } from '@virtsim/jq';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '400' } } });
const MS = Number(values.ms);

const objects = Array.from({ length: 1000 }, (_, i) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `pod-${i}`,
    namespace: 'default',
    ...(i % 3 === 0 ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    labels: { app: 'vm', 'kubevirt.io': 'virt-launcher' },
    annotations: { x: `v${i}`, 'kwok.x-k8s.io/delay': '5s' },
    ownerReferences: [{ kind: 'VirtualMachineInstance', name: `vmi-${i}` }],
  },
  spec: { nodeName: `node-${i % 50}`, nodeSelector: { type: 'kwok' } },
  status: {
    phase: i % 2 === 0 ? 'Running' : 'Pending',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: i % 4 === 0 ? 'True' : 'False' },
      { type: 'ContainersReady', status: 'True' },
    ],
  },
}));

let sink = 0;

function measure(p: JqProgram, mode: 'first' | 'run'): number {
  // warm up, then count evaluations in batches until the time is up
  for (let i = 0; i < 20000; i++) sink += p.first(objects[i % 1000]) === undefined ? 0 : 1;
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MS) {
    if (mode === 'first') {
      for (let i = 0; i < 10000; i++) if (p.first(objects[i % 1000]) !== undefined) sink++;
    } else {
      for (let i = 0; i < 10000; i++) sink += p.run(objects[i % 1000]).length;
    }
    n += 10000;
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

const fmt = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : `${(r / 1e3).toFixed(0)}k`).padStart(8);

const EXPRESSIONS = [
  '.status.phase',
  '.metadata.deletionTimestamp',
  '.metadata.annotations["x"]',
  '.status.conditions.[] | select( .type == "Ready" ) | .status',
  '.metadata.ownerReferences.[].kind',
  '[.status.conditions[] | select(.status == "True")] | length',
];

process.stdout.write(`# evaluations/s on one core (${MS} ms per figure), first() and run()\n`);
process.stdout.write(`${'expression'.padEnd(62)} ${'fast first'.padStart(10)} ${'interp first'.padStart(12)} ${'fast run'.padStart(9)} ${'interp run'.padStart(10)}  speed-up\n`);
for (const expr of EXPRESSIONS) {
  const fast = compileJq(expr);
  const slow = compileJqInterpreted(expr);
  if (!fast.fastPath) throw new Error(`${expr} did not take the fast path`);
  const ff = measure(fast, 'first');
  const sf = measure(slow, 'first');
  const fr = measure(fast, 'run');
  const sr = measure(slow, 'run');
  process.stdout.write(`${expr.padEnd(62)} ${fmt(ff).padStart(10)} ${fmt(sf).padStart(12)} ${fmt(fr).padStart(9)} ${fmt(sr).padStart(10)}  ${(ff / sf).toFixed(1)}x\n`);
}
// The error path: selectors routinely iterate a missing list ("cannot iterate over: null" means
// "no value" to KWOK), so a runtime error must be cheap too.
process.stdout.write('\n# runtime error path on an object without the list: run() in try/catch vs tryRun()\n');
process.stdout.write(`${'expression'.padEnd(62)} ${'fast run'.padStart(10)} ${'interp run'.padStart(12)} ${'fast tryRun'.padStart(12)} ${'interp tryRun'.padStart(14)}\n`);
for (const expr of ['.spec.volumes.[].name', '.status.conditions.[] | select(.type == "Ready") | .status']) {
  const rate = (p: JqProgram, useTry: boolean) => {
    const bare = { metadata: { name: 'x' }, spec: {}, status: {} };
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < MS) {
      for (let i = 0; i < 10000; i++) {
        if (useTry) {
          sink += p.tryRun(bare)?.length ?? 1;
          continue;
        }
        try {
          sink += p.run(bare).length;
        } catch {
          sink++;
        }
      }
      n += 10000;
      now = performance.now();
    }
    return (n / (now - start)) * 1000;
  };
  const fast = compileJq(expr);
  const slow = compileJqInterpreted(expr);
  process.stdout.write(
    `${expr.padEnd(62)} ${fmt(rate(fast, false)).padStart(10)} ${fmt(rate(slow, false)).padStart(12)} ${fmt(rate(fast, true)).padStart(12)} ${fmt(rate(slow, true)).padStart(14)}\n`,
  );
}
process.stdout.write(`\nfirst() targets: fast path >= 5M/s, interpreter >= 300k/s for the first three (sink ${sink > 0 ? 'ok' : '0'})\n`);
