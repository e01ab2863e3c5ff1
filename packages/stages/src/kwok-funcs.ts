/**
 * KWOK's own template functions (pkg/utils/gotpl/funcs.go, node and pod controllers): Now, Quote,
 * YAML, NodeConditions, Version, StartTime, NodeIP, NodeName, NodePort, PodIP, NodeIPWith,
 * NodeIPsWith, PodIPWith, PodIPsWith. The functions read the clock and environment of the render
 * in progress from a mutable state object, so they are built once per stage set.
 */
import { formatRfc3339Nano, marshalGoYaml } from '@virtsim/goformats';
import { isIPv6, type IPPools } from './ip-pool.ts';
import type { KubeObject } from './types.ts';

export type TemplateFunc = (...args: unknown[]) => unknown;

/** What the node/pod functions need to know about the simulated cluster. */
export interface TemplateEnv {
  /** --node-ip: the address used when nothing better is known. */
  nodeIP?: string;
  /** --node-name: NodeName for node stages. */
  nodeName?: string;
  /** --node-port: NodePort (kubelet endpoint port). */
  nodePort?: number;
  /** Shown by Version and in nodeInfo. */
  version?: string;
  /** The node object by name (for NodeIPWith/PodIPWith); undefined when not simulated here. */
  getNode?: (name: string) => KubeObject | undefined;
  /** Pod IP pools; required for PodIP/PodIPWith/PodIPsWith to hand out addresses. */
  ipPools?: IPPools;
  /** --cidr: pools for nodes without spec.podCIDR(s). Default 10.0.0.0/24. */
  defaultCIDR?: string;
}

export interface RenderState {
  nowMs: number;
  env: TemplateEnv;
}

export const DEFAULT_CIDR = '10.0.0.0/24';
const START_TIME = formatRfc3339Nano(Date.now());

/** corev1.NodeCondition values marshalled to JSON (zero times are null). */
const NODE_CONDITIONS = [
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['NetworkUnavailable', 'False', 'RouteCreated', 'RouteController created a route'],
].map(([type, status, reason, message]) => ({ type, status, lastHeartbeatTime: null, lastTransitionTime: null, reason, message }));

/** Go's encoding/json of a value, as KWOK's Quote produces it. */
function quote(v: unknown): string {
  if (v === undefined) v = null;
  const data = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
  if (data === undefined || data.length === 0) return '""';
  if (data[0] === '"') return goJsonEscape(v as string);
  return strconvQuote(data);
}

/** encoding/json string escaping: also escapes <, >, & and U+2028/2029. */
function goJsonEscape(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function strconvQuote(s: string): string {
  return JSON.stringify(s);
}

/** node's primary IPs (getNodeHostIPs): first InternalIP (else ExternalIP), plus the first of the other family. */
export function nodeHostIPs(node: KubeObject | undefined): string[] {
  const addrs = ((node?.status as { addresses?: { type?: string; address?: string }[] } | undefined)?.addresses ?? []) as {
    type?: string;
    address?: string;
  }[];
  const all: string[] = [];
  for (const t of ['InternalIP', 'ExternalIP']) {
    for (const a of addrs) if (a.type === t && typeof a.address === 'string' && /^[0-9a-fA-F:.]+$/.test(a.address)) all.push(a.address);
  }
  if (all.length === 0) return [];
  const out = [all[0]!];
  const firstV6 = isIPv6(all[0]!);
  const other = all.slice(1).find((ip) => isIPv6(ip) !== firstV6);
  if (other) out.push(other);
  return out;
}

/** A node's pod CIDRs: spec.podCIDRs, else spec.podCIDR, else the default. */
export function nodePodCIDRs(node: KubeObject | undefined, defaultCIDR: string): string[] {
  const spec = node?.spec as { podCIDRs?: string[]; podCIDR?: string } | undefined;
  if (spec?.podCIDRs?.length) return spec.podCIDRs;
  if (spec?.podCIDR) return [spec.podCIDR];
  return [defaultCIDR];
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

export function createKwokFuncs(state: RenderState): Record<string, TemplateFunc> {
  const nodeIP = () => state.env.nodeIP ?? '';
  const nodeIPs = () => (state.env.nodeIP ? [state.env.nodeIP] : []);
  const knownNode = (name: string) => state.env.getNode?.(name);
  const defaultCIDR = () => state.env.defaultCIDR ?? DEFAULT_CIDR;
  const nodeIPWith = (name: unknown) => {
    const node = knownNode(str(name));
    return node ? (nodeHostIPs(node)[0] ?? nodeIP()) : nodeIP();
  };
  const nodeIPsWith = (name: unknown) => {
    const node = knownNode(str(name));
    if (!node) return nodeIPs();
    const ips = nodeHostIPs(node);
    return ips.length ? ips : nodeIPs();
  };
  return {
    Quote: (v) => quote(v),
    Now: () => formatRfc3339Nano(state.nowMs),
    StartTime: () => START_TIME,
    YAML: (v, ...indent) => {
      let data = marshalGoYaml(v === undefined ? null : v);
      const n = indent.length === 1 ? Number(indent[0]) : 0;
      if (n > 0) data = ('\n' + data).replaceAll('\n', '\n' + ' '.repeat(n * 2));
      return data;
    },
    Version: () => state.env.version ?? 'v0.8.0',
    NodeConditions: () => NODE_CONDITIONS,
    NodeIP: nodeIP,
    NodeName: () => state.env.nodeName ?? '',
    NodePort: () => state.env.nodePort ?? 0,
    PodIP: () => (state.env.ipPools ? state.env.ipPools.pool(defaultCIDR()).get() : nodeIP()),
    NodeIPWith: nodeIPWith,
    NodeIPsWith: nodeIPsWith,
    PodIPWith: (nodeName, hostNetwork) => {
      if (hostNetwork === true) return nodeIPWith(nodeName);
      const node = knownNode(str(nodeName));
      if (!node || !state.env.ipPools) return nodeIP();
      return state.env.ipPools.pool(nodePodCIDRs(node, defaultCIDR())[0]!).get();
    },
    PodIPsWith: (nodeName, hostNetwork) => {
      if (hostNetwork === true) return nodeIPsWith(nodeName);
      const node = knownNode(str(nodeName));
      if (!node || !state.env.ipPools) return nodeIPs();
      const ips = nodePodCIDRs(node, defaultCIDR()).map((c) => state.env.ipPools!.pool(c).get());
      return ips.length ? ips : nodeIPs();
    },
  };
}

/** Go's %#v of a template argument, as KWOK's stage_test placeholders print it. */
function goSharpV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function placeholderArgs(args: unknown[]): string {
  return args.map((a) => goSharpV(a) || '""').join(', ');
}

/**
 * The placeholder functions of KWOK's kustomize/stage/stage_test.go: `<Now>`, `<NodeIP>`,
 * `<PodIPWith("node", false, …)>`, and two-element lists `<0 of NodeIPsWith("node")>`…
 */
export function placeholderFuncs(): Record<string, TemplateFunc> {
  const single = (name: string): TemplateFunc => (...args) => (args.length === 0 ? `<${name}>` : `<${name}(${placeholderArgs(args)})>`);
  const pair = (name: string): TemplateFunc => (...args) =>
    args.length === 0
      ? [`<0 of ${name}>`, `<1 of ${name}>`]
      : [`<0 of ${name}(${placeholderArgs(args)})>`, `<1 of ${name}(${placeholderArgs(args)})>`];
  const out: Record<string, TemplateFunc> = {};
  for (const n of ['NodeIP', 'NodeName', 'NodePort', 'PodIP', 'NodeIPWith', 'PodIPWith', 'Now', 'now', 'Version']) out[n] = single(n);
  for (const n of ['NodeIPsWith', 'PodIPsWith']) out[n] = pair(n);
  return out;
}

function podIPsOf(pod: KubeObject): string[] {
  const status = pod.status as { podIPs?: { ip?: string }[]; podIP?: string } | undefined;
  if (status?.podIPs?.length) return status.podIPs.map((p) => p.ip ?? '').filter(Boolean);
  return status?.podIP ? [status.podIP] : [];
}

function eachPodIP(pools: IPPools, pod: KubeObject, node: KubeObject | undefined, defaultCIDR: string, fn: 'use' | 'put'): void {
  if ((pod.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork === true || !node) return;
  const cidrs = nodePodCIDRs(node, defaultCIDR);
  podIPsOf(pod).forEach((ip, i) => {
    if (i < cidrs.length) pools.pool(cidrs[i]!)[fn](ip);
  });
}

/** KWOK markPodIP: a pod seen running on a simulated node keeps its addresses out of the pools. */
export function markPodIPs(pools: IPPools, pod: KubeObject, node: KubeObject | undefined, defaultCIDR = DEFAULT_CIDR): void {
  eachPodIP(pools, pod, node, defaultCIDR, 'use');
}

/** KWOK recyclingPodIP: a deleted pod's addresses go back to its node's pools. */
export function releasePodIPs(pools: IPPools, pod: KubeObject, node: KubeObject | undefined, defaultCIDR = DEFAULT_CIDR): void {
  eachPodIP(pools, pod, node, defaultCIDR, 'put');
}
