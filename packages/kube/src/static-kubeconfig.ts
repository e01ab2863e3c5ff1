import { parse } from 'yaml';

/** What a plain kubeconfig gives: the server, its TLS material and a bearer token; nothing to run, read or refresh. */
export interface StaticKubeconfig {
  /** Without a trailing slash, as client-node gives it. */
  server: string;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string };
  headers: Record<string, string>;
}

// Fields whose meaning is read here exactly as client-node reads them; a kubeconfig with any other
// (files, exec plugins, auth providers, impersonation, proxies) is left to client-node.
const CLUSTER_FIELDS = new Set(['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);
const USER_FIELDS = new Set(['token', 'client-certificate-data', 'client-key-data']);

type Fields = Record<string, unknown>;

function named(list: unknown, name: unknown, field: string): Fields | undefined {
  if (!Array.isArray(list) || typeof name !== 'string') return undefined;
  const entry = (list as Fields[]).find((e) => e?.name === name)?.[field];
  return entry && typeof entry === 'object' ? (entry as Fields) : undefined;
}

/** Only the listed fields, each a string (or, for the TLS switch, a boolean). */
function plain(fields: Fields, allowed: Set<string>): boolean {
  return Object.entries(fields).every(([k, v]) => allowed.has(k) && (typeof v === 'string' || (k === 'insecure-skip-tls-verify' && typeof v === 'boolean')));
}

const decode = (b64: unknown) => (typeof b64 === 'string' && b64 ? Buffer.from(b64, 'base64') : undefined);

/**
 * The kubeconfig `up` writes (server, CA data, token) read without @kubernetes/client-node: that
 * library loads its whole generated API (~30 MiB of heap, ~80 MiB of RSS) into every fleet
 * process only to read a few fields. Undefined when the kubeconfig needs more than these fields.
 */
export function staticKubeconfig(text: string): StaticKubeconfig | undefined {
  let doc: Fields;
  try {
    doc = parse(text) as Fields;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const context = named(doc.contexts, doc['current-context'], 'context');
  const cluster = named(doc.clusters, context?.cluster, 'cluster');
  // client-node applies no TLS material at all without a user: that case is left to it.
  const user = named(doc.users, context?.user, 'user');
  if (!cluster || !user || typeof cluster.server !== 'string' || !plain(cluster, CLUSTER_FIELDS) || !plain(user, USER_FIELDS)) return undefined;
  const tls: StaticKubeconfig['tls'] = {
    ca: decode(cluster['certificate-authority-data']),
    cert: decode(user['client-certificate-data']),
    key: decode(user['client-key-data']),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] === true ? false : undefined,
    servername: (cluster['tls-server-name'] as string | undefined) || undefined,
  };
  return { server: cluster.server.replace(/\/$/, ''), tls, headers: user.token ? { Authorization: `Bearer ${user.token as string}` } : {} };
}
