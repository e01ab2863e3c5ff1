/**
 * Stage engine figures, on one core (Node is single-threaded here):
 *  1. selection + delay for 100,000 mixed objects (VMIs, pods, nodes) against KWOK's sets and,
 *     when present, virtsim's default sets in stages/ — evaluations/s (one evaluation = choose the
 *     next stage of one object and compute its delay);
 *  2. rendering the VMI Running patch — renders/s;
 *  3. heap growth per 100k planned objects (transient, and retaining the selections);
 *  4. the same selection with every jq program on the interpreter instead of the compiled fast path.
 *
 * Objects are clones of the golden inputs (testdata/*.input.yaml) with distinct names.
 * Run: node_modules/.bin/node bench/stages/run.ts [--objects N]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { goYamlToJson } from '@virtsim/goformats';
import { checkStageFiles, IPPools, type KubeObject, type StageSet } from '@virtsim/stages';

// Heap figures need a real full GC: run again with --expose-gc when it is not there.
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const gc = globalThis.gc as () => void;

const ROOT = path.resolve(import.meta.dirname, '../..');
const KWOK = path.join(ROOT, 'packages/stages/testdata/kwok');
const N = Number(process.argv[process.argv.indexOf('--objects') + 1]) || 100_000;

function inputs(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.input.yaml')) out.push(goYamlToJson(readFileSync(path.join(e.parentPath, e.name), 'utf8')) as KubeObject);
  }
  return out;
}

/** N objects: 40% VMIs, 40% pods, 20% nodes, cycling through the sample inputs of each kind. */
function mixedObjects(samples: KubeObject[], n: number): KubeObject[] {
  const byKind = (k: string) => samples.filter((o) => o.kind === k);
  const groups: [KubeObject[], number][] = [
    [byKind('VirtualMachineInstance'), 0.4],
    [byKind('Pod'), 0.4],
    [byKind('Node'), 0.2],
  ];
  const out: KubeObject[] = [];
  for (const [list, share] of groups) {
    if (!list.length) continue;
    const count = Math.round(n * share);
    for (let i = 0; i < count; i++) {
      const o = structuredClone(list[i % list.length]!);
      o.metadata = { ...o.metadata, name: `${o.metadata?.name ?? 'obj'}-${i}`, uid: `uid-${i}` };
      out.push(o);
    }
  }
  // Interleave kinds, as a watch stream would deliver them.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 2654435761) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function load(paths: string[], interpretedJq = false): Promise<StageSet> {
  const { set, problems } = await checkStageFiles(paths, { interpretedJq });
  if (problems.length) throw new Error(`stage problems:\n${problems.map((p) => `${p.file}:${p.line} ${p.stage} ${p.path}: ${p.reason}`).join('\n')}`);
  return set;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** CPU milliseconds of this process: the machine is shared, so rates are per CPU-second (= one core). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timeSelect(set: StageSet, objs: KubeObject[], now: number): { perSec: number; matched: number; ms: number } {
  let matched = 0;
  const ctx = { now };
  const t0 = cpuMs();
  for (let i = 0; i < objs.length; i++) if (set.select(objs[i]!, ctx)) matched++;
  const ms = cpuMs() - t0;
  return { perSec: (objs.length / ms) * 1000, matched, ms };
}

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

const now = Date.now();
const kwokSets = ['node/fast', 'node/heartbeat-with-lease', 'node/chaos', 'pod/general', 'pod/chaos', 'kubevirt/stage'].map((p) => path.join(KWOK, p));
const virtsimDir = path.join(ROOT, 'stages');
const suites: { name: string; paths: string[]; samples: KubeObject[] }[] = [
  { name: 'KWOK sets (node fast+lease+chaos, pod general+chaos, kubevirt)', paths: kwokSets, samples: inputs(KWOK) },
];
if (existsSync(path.join(virtsimDir, 'kustomization.yaml'))) {
  suites.push({ name: "virtsim's default sets (stages/)", paths: [virtsimDir], samples: [...inputs(virtsimDir), ...inputs(KWOK)] });
}

console.log(`node ${process.version}, ${N.toLocaleString('en-US')} objects per run\n`);

for (const suite of suites) {
  const set = await load(suite.paths);
  const interp = await load(suite.paths, true);
  const objs = mixedObjects(suite.samples, N);
  const kinds = new Map<string, number>();
  for (const o of objs) kinds.set(o.kind!, (kinds.get(o.kind!) ?? 0) + 1);
  const fast = set.stages.filter((s) => s.jqFastPath).length;
  console.log(`## ${suite.name}`);
  console.log(`stages: ${set.stages.length} (${fast} with every jq program on the fast path); objects: ${[...kinds].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`);

  timeSelect(set, objs, now); // warm-up (JIT)
  const runs = [timeSelect(set, objs, now), timeSelect(set, objs, now), timeSelect(set, objs, now)];
  const best = runs.reduce((a, b) => (a.perSec > b.perSec ? a : b));
  console.log(`selection + delay: ${fmt(best.perSec)} evaluations per CPU-second (best of 3; ${fmt(best.matched)} of ${fmt(objs.length)} matched a stage; ${best.ms.toFixed(0)} ms CPU)`);

  timeSelect(interp, objs, now);
  const iruns = [timeSelect(interp, objs, now), timeSelect(interp, objs, now)];
  const ibest = iruns.reduce((a, b) => (a.perSec > b.perSec ? a : b));
  console.log(`  same with the jq interpreter only: ${fmt(ibest.perSec)} evaluations per CPU-second (fast path ×${(best.perSec / ibest.perSec).toFixed(2)})`);

  // Heap: transient (nothing kept) and retained (the selections a fleet would keep as pending jobs).
  const before = heapMB();
  timeSelect(set, objs, now);
  const afterTransient = heapMB();
  const kept: unknown[] = new Array(objs.length);
  const base = heapMB();
  for (let i = 0; i < objs.length; i++) kept[i] = set.select(objs[i]!, { now });
  const afterRetained = heapMB();
  if (process.env.DEBUG_HEAP) console.log({ before, afterTransient, base, afterRetained });
  console.log(
    `heap per ${fmt(N)} planned objects: transient ${(afterTransient - before).toFixed(2)} MB, retaining the selections ${(afterRetained - base).toFixed(2)} MB (${kept.filter(Boolean).length} kept)`,
  );
  kept.length = 0;

  // Rendering the VMI Running patch.
  const scheduled = suite.samples.filter((o) => o.kind === 'VirtualMachineInstance' && (o.status as { phase?: string } | undefined)?.phase === 'Scheduled');
  const vmi = scheduled[0];
  const sel = vmi ? set.select(vmi, { now }) : null;
  if (vmi && sel) {
    const env = { nodeIP: '10.0.0.1', ipPools: new IPPools() };
    const R = 5_000;
    for (let i = 0; i < 1000; i++) set.renderSteps(sel.stage, vmi, { now, env });
    const t0 = cpuMs();
    let bytes = 0;
    for (let i = 0; i < R; i++) {
      const reqs = set.renderSteps(sel.stage, vmi, { now: now + i, env });
      if (i === 0) bytes = JSON.stringify(reqs).length;
    }
    const ms = cpuMs() - t0;
    // Where the time goes: template execution alone (@virtsim/gotemplate) vs the rest (YAML → JSON, wrapping).
    const patch = sel.stage.steps.find((st) => st.patch)?.patch;
    let execMs = 0;
    if (patch) {
      const funcs = (set as unknown as { baseFuncs: Record<string, unknown> }).baseFuncs;
      const e0 = cpuMs();
      for (let i = 0; i < R; i++) patch.template.execute(vmi, funcs);
      execMs = cpuMs() - e0;
    }
    console.log(
      `render "${sel.stage.name}" (VMI ${vmi.metadata?.name} → Running, ${bytes} bytes of requests): ${fmt((R / ms) * 1000)} renders per CPU-second` +
        (execMs ? ` (template execution alone: ${fmt((R / execMs) * 1000)}/s, ${((execMs / ms) * 100).toFixed(0)}% of the time)` : ''),
    );
  } else console.log('render: no Scheduled VMI sample matched a stage');
  // Keeps the objects alive until here, so the heap figures above do not include their collection.
  console.log(objs.length === 0 ? '(no objects)' : '');
}
