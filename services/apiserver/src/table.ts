/**
 * `Table` responses (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
 * `kubectl get` prints, computed on the server as kube-apiserver does (ages as "5m", node
 * STATUS/ROLES, pod READY/STATUS, CRD additionalPrinterColumns by JSONPath).
 */
import type { PrinterColumn, ResourceType } from './resources.ts';

type Obj = Record<string, any>;
type Cell = string | number | boolean | null;

interface BuiltinColumns {
  columns: PrinterColumn[];
  cells(o: Obj, now: number): Cell[];
}

const col = (name: string, type = 'string', priority = 0, format?: string): PrinterColumn => ({
  name,
  type,
  priority,
  format,
  description: '',
});
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

/** kube's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

function nodeStatus(o: Obj): string {
  const conds: Obj[] = o.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  if (o.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(o: Obj): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries<string>(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.push(r);
    } else if (k === 'kubernetes.io/role' && v) roles.push(v);
  }
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(o: Obj, type: string): string {
  const a = (o.status?.addresses ?? []).find((x: Obj) => x.type === type);
  return a?.address ?? '<none>';
}

function podReadyAndStatus(o: Obj): { ready: string; status: string; restarts: number } {
  const containers: Obj[] = o.spec?.containers ?? [];
  const statuses: Obj[] = o.status?.containerStatuses ?? [];
  let readyCount = 0;
  let restarts = 0;
  let reason: string = o.status?.reason ?? o.status?.phase ?? 'Unknown';
  for (const cs of statuses) {
    restarts += cs.restartCount ?? 0;
    if (cs.ready) readyCount++;
    if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state?.terminated?.reason) reason = cs.state.terminated.reason;
  }
  if (o.metadata?.deletionTimestamp) reason = o.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${readyCount}/${containers.length}`, status: reason, restarts };
}

function eventObject(o: Obj): string {
  const io = o.involvedObject ?? o.regarding ?? {};
  return `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`;
}

const BUILTIN: Record<string, BuiltinColumns> = {
  '/namespaces': {
    columns: [NAME, col('Status'), AGE],
    cells: (o, now) => [o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp, now)],
  },
  '/nodes': {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    cells: (o, now) => {
      const ni = o.status?.nodeInfo ?? {};
      return [o.metadata.name, nodeStatus(o), nodeRoles(o), age(o.metadata.creationTimestamp, now), ni.kubeletVersion ?? '', nodeAddress(o, 'InternalIP'), nodeAddress(o, 'ExternalIP'), ni.osImage ?? '<unknown>', ni.kernelVersion ?? '<unknown>', ni.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  '/pods': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 'string'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    cells: (o, now) => {
      const p = podReadyAndStatus(o);
      const gates: Obj[] = o.spec?.readinessGates ?? [];
      const conds: Obj[] = o.status?.conditions ?? [];
      const gatesCell = gates.length
        ? `${gates.filter((g) => conds.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
        : '<none>';
      return [o.metadata.name, p.ready, p.status, String(p.restarts), age(o.metadata.creationTimestamp, now), o.status?.podIP ?? '<none>', o.spec?.nodeName || '<none>', o.status?.nominatedNodeName || '<none>', gatesCell];
    },
  },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (o, now) => [age(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now), o.type ?? '', o.reason ?? '', eventObject(o), o.message ?? ''],
  },
  'events.k8s.io/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (o, now) => [age(o.deprecatedLastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now), o.type ?? '', o.reason ?? '', eventObject(o), o.note ?? ''],
  },
  '/configmaps': {
    columns: [NAME, col('Data', 'integer'), AGE],
    cells: (o, now) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp, now)],
  },
  '/secrets': {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    cells: (o, now) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp, now)],
  },
  '/serviceaccounts': {
    columns: [NAME, col('Secrets', 'integer'), AGE],
    cells: (o, now) => [o.metadata.name, (o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)],
  },
  'coordination.k8s.io/leases': {
    columns: [NAME, col('Holder'), AGE],
    cells: (o, now) => [o.metadata.name, o.spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)],
  },
  // kube-aggregator's columns: the backend Service or Local; Available as True, or `False (Reason)`.
  'apiregistration.k8s.io/apiservices': {
    columns: [NAME, col('Service'), col('Available'), AGE],
    cells: (o, now) => {
      const svc = o.spec?.service;
      const c = ((o.status?.conditions ?? []) as Obj[]).find((x) => x.type === 'Available');
      const available = !c ? 'Unknown' : c.status === 'True' ? 'True' : `${c.status} (${c.reason ?? ''})`;
      return [o.metadata.name, svc ? `${svc.namespace}/${svc.name}` : 'Local', available, age(o.metadata.creationTimestamp, now)];
    },
  },
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: [NAME, col('Created At', 'date')],
    cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''],
  },
};

const DEFAULT: BuiltinColumns = { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };

export interface TableShape {
  columns: PrinterColumn[];
  cells(o: Obj, now: number): Cell[];
}

export function tableShape(rt: ResourceType): TableShape {
  if (rt.crd) {
    const cols = rt.columns ?? [];
    if (cols.length === 0) return DEFAULT;
    const compiled = cols.map((c) => compileJsonPath(c.jsonPath ?? ''));
    return {
      columns: [NAME, ...cols],
      cells: (o, now) => [
        o.metadata.name,
        ...cols.map((c, i) => {
          const v = compiled[i](o);
          if (v === undefined || v === null) return null;
          if (c.type === 'date') return age(v, now);
          if (c.type === 'integer' || c.type === 'number' || c.type === 'boolean') return v as Cell;
          return typeof v === 'object' ? JSON.stringify(v) : String(v);
        }),
      ],
    };
  }
  return BUILTIN[`${rt.group}/${rt.resource}`] ?? DEFAULT;
}

/** `application/json;as=Table;v=v1;g=meta.k8s.io` asked for (first acceptable entry wins)? */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.includes('as=Table') && accept.includes('g=meta.k8s.io');
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function tableRow(o: Obj, shape: TableShape, include: IncludeObject, now: number): Obj {
  const row: Obj = { cells: shape.cells(o, now) };
  if (include === 'Object') row.object = o;
  else if (include === 'Metadata')
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
  return row;
}

export function columnDefinitions(shape: TableShape): Obj[] {
  return shape.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority }));
}

/**
 * The JSONPath subset printer columns use: `.a.b`, escaped dots (`kubevirt\.io/x`), `[n]`,
 * `['key']`, `[*]` (first match), and filters `[?(@.type=="Ready")]`.
 */
export function compileJsonPath(path: string): (o: unknown) => unknown {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  if (p.startsWith('$')) p = p.slice(1);
  type Step = { kind: 'key'; key: string } | { kind: 'index'; i: number } | { kind: 'all' } | { kind: 'filter'; field: string[]; value: string };
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    const ch = p[i];
    if (ch === '.') {
      i++;
      let key = '';
      while (i < p.length && p[i] !== '.' && p[i] !== '[') {
        if (p[i] === '\\' && i + 1 < p.length) {
          key += p[i + 1];
          i += 2;
        } else key += p[i++];
      }
      if (key) steps.push({ kind: 'key', key });
    } else if (ch === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) return () => undefined;
      const inner = p.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', i: Number(inner) });
      else if (/^['"].*['"]$/.test(inner)) steps.push({ kind: 'key', key: inner.slice(1, -1) });
      else {
        const m = /^\?\(@\.([\w.\\/-]+)\s*==\s*['"]([^'"]*)['"]\)$/.exec(inner);
        if (m) steps.push({ kind: 'filter', field: m[1].split('.'), value: m[2] });
        else return () => undefined;
      }
    } else {
      // a path without a leading dot: "status.phase"
      p = '.' + p.slice(i);
      i = 0;
    }
  }
  return (o: unknown) => {
    let cur: unknown = o;
    for (const s of steps) {
      if (cur === undefined || cur === null) return undefined;
      if (s.kind === 'key') cur = (cur as Obj)[s.key];
      else if (s.kind === 'index') {
        if (!Array.isArray(cur)) return undefined;
        cur = cur[s.i < 0 ? cur.length + s.i : s.i];
      } else if (s.kind === 'all') {
        if (!Array.isArray(cur)) return undefined;
        cur = cur[0];
      } else {
        if (!Array.isArray(cur)) return undefined;
        cur = cur.find((el) => {
          let v: unknown = el;
          for (const f of s.field) v = v === undefined || v === null ? undefined : (v as Obj)[f];
          return String(v) === s.value;
        });
      }
    }
    return cur;
  };
}
