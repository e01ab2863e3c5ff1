/**
 * Where a Service's backend answers, for the API server's own outbound calls (admission webhooks,
 * aggregated APIs). An embedded server has no cluster network: a ClusterIP routes nowhere. So,
 * like kube-apiserver with `--enable-aggregator-routing`, a Service is resolved through its
 * endpoints: the Endpoints object of the same name, else an EndpointSlice labelled with the
 * service name. The TLS name to verify stays the Service's DNS name (`name.namespace.svc`), as the
 * real server checks it, so a backend's serving certificate works unchanged.
 */
import type { Store } from './store.ts';
import { StatusError } from './status.ts';

type Obj = Record<string, any>;

export interface ServiceTarget {
  /** Address to connect to (an endpoint IP, or an ExternalName's host). */
  host: string;
  port: number;
  /** Name the backend's certificate must carry. */
  serverName: string;
}

function unavailable(ns: string, name: string, why: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', `service "${ns}/${name}" is not reachable: ${why}`);
}

function parse(store: Store, storeKey: string, ns: string, name: string): Obj | undefined {
  const e = store.get(storeKey, ns, name);
  return e ? JSON.parse(e.json) : undefined;
}

/** The Service port the caller asked for (by number), which names the endpoint port to use. */
function servicePort(svc: Obj, port: number): Obj | undefined {
  const ports: Obj[] = svc.spec?.ports ?? [];
  return ports.find((p) => p.port === port);
}

function fromEndpoints(ep: Obj, sp: Obj): { host: string; port: number } | undefined {
  for (const subset of (ep.subsets ?? []) as Obj[]) {
    const addr = (subset.addresses ?? [])[0];
    if (!addr?.ip) continue;
    const ports: Obj[] = subset.ports ?? [];
    const p = ports.length === 1 && !sp.name ? ports[0] : ports.find((x) => x.name === sp.name);
    if (p?.port) return { host: addr.ip, port: p.port };
  }
  return undefined;
}

function fromSlices(store: Store, ns: string, name: string, sp: Obj): { host: string; port: number } | undefined {
  for (const e of store.scan('discovery.k8s.io/endpointslices', ns)) {
    if (e.labels?.['kubernetes.io/service-name'] !== name) continue;
    const slice = JSON.parse(e.json);
    const ports: Obj[] = slice.ports ?? [];
    const p = ports.length === 1 && !sp.name ? ports[0] : ports.find((x) => (x.name ?? '') === (sp.name ?? ''));
    if (!p?.port) continue;
    const ready = ((slice.endpoints ?? []) as Obj[]).find((ep) => ep.conditions?.ready !== false && ep.addresses?.length);
    if (ready) return { host: ready.addresses[0], port: p.port };
  }
  return undefined;
}

/** Resolves `namespace/name:port` (port defaults to 443, as in webhook and APIService refs). */
export function resolveService(store: Store, ns: string, name: string, port = 443): ServiceTarget {
  const svc = parse(store, '/services', ns, name);
  if (!svc) throw unavailable(ns, name, 'service not found');
  const serverName = `${name}.${ns}.svc`;
  if (svc.spec?.type === 'ExternalName') return { host: svc.spec.externalName, port, serverName };
  const sp = servicePort(svc, port);
  if (!sp) throw unavailable(ns, name, `service has no port ${port}`);
  const ep = parse(store, '/endpoints', ns, name);
  const found = (ep && fromEndpoints(ep, sp)) ?? fromSlices(store, ns, name, sp);
  if (!found) throw unavailable(ns, name, 'no ready endpoints');
  return { ...found, serverName };
}
