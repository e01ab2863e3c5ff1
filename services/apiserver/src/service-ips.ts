/**
 * Services as kube-apiserver 1.26 stores them: defaults (type ClusterIP, sessionAffinity None,
 * port protocol TCP and targetPort = port, single-stack IPv4, traffic policies), a ClusterIP
 * allocated from the service range (10.96.0.0/12, kube's default `--service-cluster-ip-range`),
 * node ports from 30000-32767 for NodePort and LoadBalancer Services, allocated values carried
 * over when an update omits them and refused when it changes them. Allocations are read from the
 * stored Services, so they survive a restart with the store and are freed with their Service.
 */
import { fieldErrors, GoStringSlice, type FieldError } from '@virtsim/apimachinery';
import type { UserInfo } from './auth.ts';
import type { ObjectHooks } from './objects.ts';
import type { ResourceType } from './resources.ts';
import { invalid } from './status.ts';
import type { Store } from './store.ts';

type Obj = Record<string, any>;

/** 10.96.0.0/12; .1 is the `kubernetes` Service's, as on a real cluster. */
const RANGE_BASE = (10 << 24) | (96 << 16);
const RANGE_SIZE = 1 << 20;
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

const ipOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const withNodePorts = (type: string) => type === 'NodePort' || type === 'LoadBalancer';

function inRange(ip: string): boolean {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  const n = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
  return n > RANGE_BASE && n < RANGE_BASE + RANGE_SIZE - 1;
}

/** SetDefaults_Service, plus what the REST strategy fills in for the chosen type. */
function applyDefaults(svc: Obj): void {
  const spec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of spec.ports ?? []) {
    if (!p || typeof p !== 'object') continue;
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  if (withNodePorts(spec.type)) spec.externalTrafficPolicy ??= 'Cluster';
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
}

export class ServiceAllocator implements ObjectHooks {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  private inUse(skip: { ns: string; name: string } | null): { ips: Set<string>; ports: Set<number> } {
    // Reserved for default/kubernetes even before it exists.
    const ips = new Set<string>(skip?.ns === 'default' && skip.name === 'kubernetes' ? [] : [KUBERNETES_SERVICE_IP]);
    const ports = new Set<number>();
    for (const e of this.store.scan('/services', undefined)) {
      if (skip && e.ns === skip.ns && e.name === skip.name) continue;
      const spec = JSON.parse(e.json).spec ?? {};
      for (const ip of spec.clusterIPs ?? []) ips.add(ip);
      for (const p of spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  admit(op: 'CREATE' | 'UPDATE', rt: ResourceType, obj: Obj, old: Obj | null, _user: UserInfo): void {
    if (rt.storeKey !== '/services') return;
    if (op === 'UPDATE' && old) this.carryOver(obj, old);
    applyDefaults(obj);
    const name = obj.metadata.name as string;
    const errs = op === 'UPDATE' && old ? this.immutable(obj, old) : [];
    if (errs.length) throw invalid('Service', '', name, errs);
    const used = this.inUse({ ns: obj.metadata.namespace, name });
    errs.push(...this.allocateIp(obj, old, used.ips), ...this.allocateNodePorts(obj, old, used.ports));
    if (errs.length) throw invalid('Service', '', name, errs);
  }

  /** An update that leaves out the allocated values keeps them (kube since 1.20). */
  private carryOver(obj: Obj, old: Obj): void {
    const spec = (obj.spec ??= {});
    const was = old.spec ?? {};
    if (!spec.clusterIP && was.clusterIP && spec.type !== 'ExternalName') {
      spec.clusterIP = was.clusterIP;
      spec.clusterIPs ??= was.clusterIPs;
    }
    for (const p of spec.ports ?? []) {
      if (p?.nodePort !== undefined || !withNodePorts(spec.type ?? 'ClusterIP')) continue;
      const prev = (was.ports ?? []).find((q: Obj) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (prev?.nodePort) p.nodePort = prev.nodePort;
    }
  }

  private immutable(obj: Obj, old: Obj): FieldError[] {
    const was = old.spec?.clusterIP;
    const now = obj.spec?.clusterIP;
    if (was && now && was !== now && obj.spec.type !== 'ExternalName' && old.spec.type !== 'ExternalName')
      return [fieldErrors.invalid('spec.clusterIPs[0]', new GoStringSlice([now]), 'may not change once set')];
    return [];
  }

  private allocateIp(obj: Obj, old: Obj | null, used: Set<string>): FieldError[] {
    const spec = obj.spec;
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      return [];
    }
    if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
      return [];
    }
    if (spec.clusterIP && spec.clusterIP === old?.spec?.clusterIP) {
      spec.clusterIPs = [spec.clusterIP];
      return [];
    }
    if (spec.clusterIP) {
      const ip = spec.clusterIP as string;
      if (!inRange(ip)) return [fieldErrors.invalid('spec.clusterIPs', new GoStringSlice([ip]), `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/12`)];
      if (used.has(ip)) return [fieldErrors.invalid('spec.clusterIPs', new GoStringSlice([ip]), `failed to allocate IP ${ip}: provided IP is already allocated`)];
      spec.clusterIPs = [ip];
      return [];
    }
    for (;;) {
      const ip = ipOf(RANGE_BASE + 2 + Math.floor(Math.random() * (RANGE_SIZE - 3)));
      if (used.has(ip)) continue;
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      return [];
    }
  }

  private allocateNodePorts(obj: Obj, old: Obj | null, used: Set<number>): FieldError[] {
    const spec = obj.spec;
    const errs: FieldError[] = [];
    if (!withNodePorts(spec.type)) {
      for (const p of spec.ports ?? []) if (p && typeof p === 'object') delete p.nodePort;
      return errs;
    }
    const kept = new Set<number>((old?.spec?.ports ?? []).map((p: Obj) => p.nodePort).filter(Boolean));
    (spec.ports ?? []).forEach((p: Obj, i: number) => {
      if (!p || typeof p !== 'object') return;
      if (p.nodePort !== undefined) {
        if (kept.has(p.nodePort)) return;
        if (!Number.isInteger(p.nodePort) || p.nodePort < NODE_PORT_MIN || p.nodePort > NODE_PORT_MAX)
          errs.push(fieldErrors.invalid(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`));
        else if (used.has(p.nodePort)) errs.push(fieldErrors.invalid(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated'));
        used.add(p.nodePort);
        return;
      }
      let port: number;
      do port = NODE_PORT_MIN + Math.floor(Math.random() * (NODE_PORT_MAX - NODE_PORT_MIN + 1));
      while (used.has(port));
      used.add(port);
      p.nodePort = port;
    });
    return errs;
  }
}
