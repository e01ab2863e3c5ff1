/**
 * kube-scheduler's default filter plugins that matter for fake nodes, with its reason strings, so
 * an unschedulable pod carries the message a real cluster would write:
 * NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector + required terms),
 * NodeResourcesFit, InterPodAffinity (required anti-affinity). A node fails at its first failing
 * plugin, as in the scheduling framework; NodeResourcesFit reports every short resource.
 */
import type { KubeObject } from '@virtsim/kube';
import type { NodeInfo, Taint } from './node-info.ts';
import { NOT_READY_TAINT, UNSCHEDULABLE_TAINT } from './node-info.ts';
import { podRequests } from './pod-requests.ts';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface AntiAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
}

/** The parts of a pod the filters read, extracted once per scheduling attempt. */
export interface PodFacts {
  namespace: string;
  requests: Map<string, number>;
  /**
   * The requests NodeResourcesFit checks (not `pods`, only positive ones), as resource, amount,
   * resource, ...: read for every node, where iterating the Map cost more than the checks.
   */
  fit: Array<string | number>;
  nodeSelector: Record<string, string>;
  requiredTerms: NodeSelectorTerm[] | undefined;
  tolerations: Toleration[];
  antiAffinity: AntiAffinityTerm[];
}

export const REASON = {
  unschedulable: "node(s) were unschedulable",
  affinity: "node(s) didn't match Pod's node affinity/selector",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  tooManyPods: 'Too many pods',
  taint: (t: Taint) => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`,
  insufficient: (r: string) => `Insufficient ${r}`,
};

export interface FilterResult {
  reasons: string[];
  /** Preemption cannot help (everything but resource shortage). */
  unresolvable: boolean;
}

/** The facts of one scheduling attempt; throws when the pod's resource requests are unreadable. */
export function podFacts(pod: KubeObject): PodFacts {
  const spec = pod.spec ?? {};
  const requests = podRequests(pod);
  return {
    namespace: pod.metadata.namespace ?? 'default',
    requests,
    fit: fitRequests(requests),
    nodeSelector: spec.nodeSelector ?? {},
    requiredTerms: spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    tolerations: spec.tolerations ?? [],
    antiAffinity: spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

function fitRequests(requests: Map<string, number>): Array<string | number> {
  const out: Array<string | number> = [];
  for (const [r, want] of requests) if (r !== 'pods' && want > 0) out.push(r, want);
  return out;
}

/** v1helper.TolerationsTolerateTaint */
export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && vals.includes(value);
    case 'NotIn':
      return value === undefined || !vals.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || vals.length !== 1) return false;
      const a = Number.parseInt(value, 10);
      const b = Number.parseInt(vals[0], 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A term matches when all its requirements do; an empty term matches nothing (nodeaffinity). */
export function termMatches(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  return (
    exprs.every((r) => requirementMatches(r, node.labels[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.name))
  );
}

// A pod's nodeSelector as pairs, made once per pod, not once per node tried (500 of 10,000 each).
const selectorPairs = new WeakMap<Record<string, string>, Array<[string, string]>>();

export function matchesNodeAffinity(p: Pick<PodFacts, 'nodeSelector' | 'requiredTerms'>, node: NodeInfo): boolean {
  let pairs = selectorPairs.get(p.nodeSelector);
  if (!pairs) selectorPairs.set(p.nodeSelector, (pairs = Object.entries(p.nodeSelector)));
  for (let i = 0; i < pairs.length; i++) if (node.labels[pairs[i]![0]] !== pairs[i]![1]) return false;
  if (p.requiredTerms === undefined) return true;
  return p.requiredTerms.some((t) => termMatches(t, node));
}

export function labelSelectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false; // a nil selector matches nothing in pod (anti-)affinity
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) if (!requirementMatches(e as NodeSelectorRequirement, labels[e.key])) return false;
  return true;
}

/**
 * The topology domains that the pod's required anti-affinity excludes: for each term, the
 * values of its topology key on nodes that run a matching pod (InterPodAffinity PreFilter).
 */
export type ExcludedDomains = Array<{ topologyKey: string; values: Set<string> }>;

const FITS: FilterResult = Object.freeze({ reasons: Object.freeze([]) as unknown as string[], unresolvable: false });

/** Runs the filters for one node; empty reasons means the pod fits (one shared object: no garbage per node). */
export function filterNode(p: PodFacts, node: NodeInfo, excluded: ExcludedDomains): FilterResult {
  // NodeUnschedulable
  if (node.unschedulable && !tolerates(p.tolerations, UNSCHEDULABLE_TAINT)) return { reasons: [REASON.unschedulable], unresolvable: true };
  // TaintToleration: the node lifecycle controller taints a node that is not Ready.
  const taints = node.ready ? node.taints : [...node.taints, NOT_READY_TAINT];
  for (const t of taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!tolerates(p.tolerations, t)) return { reasons: [REASON.taint(t)], unresolvable: true };
  }
  // NodeAffinity
  if (!matchesNodeAffinity(p, node)) return { reasons: [REASON.affinity], unresolvable: true };
  // NodeResourcesFit
  let reasons: string[] | undefined;
  const podsAllowed = node.allocatable.get('pods') ?? 0;
  if ((node.requested.get('pods') ?? 0) + 1 > podsAllowed) (reasons ??= []).push(REASON.tooManyPods);
  for (let i = 0; i < p.fit.length; i += 2) {
    const r = p.fit[i] as string;
    const want = p.fit[i + 1] as number;
    const free = (node.allocatable.get(r) ?? 0) - (node.requested.get(r) ?? 0);
    if (want > free + 1e-9) (reasons ??= []).push(REASON.insufficient(r));
  }
  if (reasons) return { reasons, unresolvable: false };
  // InterPodAffinity
  for (const d of excluded) {
    const v = node.labels[d.topologyKey];
    if (v !== undefined && d.values.has(v)) return { reasons: [REASON.antiAffinity], unresolvable: true };
  }
  return FITS;
}

/** Non-zero defaults kube-scheduler scores pods without requests with (100m CPU, 200 MiB). */
const DEFAULT_MILLI_CPU = 0.1;
const DEFAULT_MEMORY = 200 * 2 ** 20;
const SCORED: ReadonlyArray<readonly [string, number]> = [['cpu', DEFAULT_MILLI_CPU], ['memory', DEFAULT_MEMORY]];

/** NodeResourcesFit LeastAllocated over cpu and memory, 0..100. */
export function leastAllocatedScore(p: PodFacts, node: NodeInfo): number {
  let total = 0;
  let n = 0;
  for (const [r, dflt] of SCORED) {
    const cap = node.allocatable.get(r) ?? 0;
    if (cap <= 0) continue;
    const want = p.requests.get(r) || dflt;
    const used = (node.requested.get(r) ?? 0) + want;
    total += used > cap ? 0 : ((cap - used) * 100) / cap;
    n++;
  }
  return n ? total / n : 0;
}

/**
 * FitError.Error(): "0/N nodes are available: <count reason, sorted>." then the PostFilter
 * (preemption) diagnosis.
 */
export function fitErrorMessage(numNodes: number, results: FilterResult[]): string {
  const histogram = new Map<string, number>();
  let unresolvable = 0;
  for (const r of results) {
    for (const reason of r.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
    if (r.unresolvable) unresolvable++;
  }
  const sorted = [...histogram].map(([k, v]) => `${v} ${k}`).sort();
  let msg = `0/${numNodes} nodes are available`;
  msg += sorted.length ? `: ${sorted.join(', ')}.` : '.';
  const pre: string[] = [];
  if (numNodes - unresolvable > 0) pre.push(`${numNodes - unresolvable} No preemption victims found for incoming pod`);
  if (unresolvable > 0) pre.push(`${unresolvable} Preemption is not helpful for scheduling`);
  msg += ` preemption: 0/${numNodes} nodes are available: ${pre.sort().join(', ')}.`;
  return msg;
}

/** numFeasibleNodesToFind with the default percentageOfNodesToScore (adaptive). */
export function feasibleNodesToFind(numAllNodes: number): number {
  const MIN = 100;
  if (numAllNodes < MIN) return numAllNodes;
  let pct = 50 - Math.floor(numAllNodes / 125);
  if (pct < 5) pct = 5;
  const n = Math.floor((numAllNodes * pct) / 100);
  return n < MIN ? MIN : n;
}
