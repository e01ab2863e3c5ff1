// The scheduler stand-in's filter and score loop, in process: one launcher pod, as virt-controller's
// stand-in renders it for the load test's default VMI, against as many fake nodes as
// kube-scheduler's percentageOfNodesToScore asks for out of --nodes, labelled as a KubeVirt node
// is (~60 labels). What scheduling costs per VMI without the API around it (run.ts beside this
// measures it with the API). Prints figures; not a test.
//   node_modules/.bin/node bench/control-plane/filters.ts [--nodes 10000] [--pods 3000] [--rounds 3]
import { parseArgs } from 'node:util';
import type { KubeObject } from '@virtsim/kube';
import { builtinTemplate } from '../../loadtest/src/templates.ts';
import { feasibleNodesToFind, filterNode, leastAllocatedScore, podFacts } from '../../services/control-plane/src/scheduler/filters.ts';
import { nodeInfoOf, type NodeInfo } from '../../services/control-plane/src/scheduler/node-info.ts';
import { renderLauncherPod } from '../../services/control-plane/src/virt-controller/launcher-pod.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' }, pods: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } } });
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const ROUNDS = Number(values.rounds);

const resources = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi', 'devices.kubevirt.io/kvm': '1k', 'devices.kubevirt.io/tun': '1k', 'devices.kubevirt.io/vhost-net': '1k' };
const cpuModels = ['Broadwell', 'Haswell', 'IvyBridge', 'Nehalem', 'Penryn', 'SandyBridge', 'Skylake-Client', 'Westmere', 'Cascadelake-Server', 'Icelake-Server'];
function node(i: number): KubeObject {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': `node-${i}`,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    type: 'kwok',
    'kubevirt.io/schedulable': 'true',
    'machine-type.node.kubevirt.io/q35': 'true',
    'cpu-vendor.node.kubevirt.io/Intel': 'true',
    'host-model-cpu.node.kubevirt.io/Skylake-Client-IBRS': 'true',
  };
  for (const m of cpuModels) {
    labels[`cpu-model.node.kubevirt.io/${m}`] = 'true';
    labels[`cpu-model-migration.node.kubevirt.io/${m}`] = 'true';
  }
  for (const f of ['aes', 'avx', 'avx2', 'fma', 'hypervisor', 'invtsc', 'pcid', 'rdrand', 'ssbd', 'vme', 'xsave', 'x2apic', 'tsc-deadline', 'pdpe1gb', 'md-clear', 'erms', 'f16c', 'movbe', 'popcnt', 'smep', 'spec-ctrl', 'umip', 'xsaveopt', 'abm', 'adx', 'bmi1', 'bmi2', 'clflushopt', 'hle', 'rtm', 'mpx', 'invpcid', 'rdseed', 'smap', 'ss', 'tsc_adjust', 'xgetbv1', 'xsavec', 'xsaves', 'arat'])
    labels[`cpu-feature.node.kubevirt.io/${f}`] = 'true';
  return { metadata: { name: `node-${i}`, labels }, spec: {}, status: { allocatable: resources, capacity: resources, conditions: [{ type: 'Ready', status: 'True' }] } };
}

const nodes: NodeInfo[] = Array.from({ length: NODES }, (_, i) => nodeInfoOf(node(i)));
const vmi = { ...builtinTemplate('vmi').object, metadata: { name: 'vmi-0', namespace: 'density', uid: 'uid-0', labels: { 'kubevirt.io/os': 'fedora27' } } };
const pod = renderLauncherPod(vmi as KubeObject, 'quay.io/kubevirt/virt-launcher:v1.9.0');
const want = feasibleNodesToFind(NODES);

/** findNode's loop: filter round-robin until `want` nodes fit, score those. */
function schedule(start: number): number {
  const p = podFacts(pod);
  let best = -1;
  let feasible = 0;
  for (let i = 0; i < NODES && feasible < want; i++) {
    const n = nodes[(start + i) % NODES]!;
    if (filterNode(p, n, []).reasons.length) continue;
    feasible++;
    best = Math.max(best, leastAllocatedScore(p, n));
  }
  if (feasible < want) throw new Error(`only ${feasible} of ${want} nodes fit the launcher pod`);
  return best;
}

console.log(`# scheduler filter+score: one launcher pod against ${want} of ${NODES} nodes, ${PODS} pods a round`);
let start = 0;
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < PODS; k++) {
    schedule(start);
    start = (start + want) % NODES;
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / PODS;
  console.log(`round ${r + 1}: ${us.toFixed(1).padStart(8)} us per pod (${((us * 1000) / want).toFixed(0)} ns per node)`);
}
