import type { KubeObject } from './object.ts';

/** Longest node name Kubernetes accepts (a DNS subdomain). */
const MAX_NODE_NAME = 253;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMapProblem(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) return `${field} is not an object`;
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string') return `${field}[${JSON.stringify(k)}] is not a string`;
  }
  return undefined;
}

function optionalObjectProblem(field: string, v: unknown): string | undefined {
  return v === undefined || v === null || isPlainObject(v) ? undefined : `${field} is not an object`;
}

function optionalStringProblem(field: string, v: unknown): string | undefined {
  return v === undefined || v === null || typeof v === 'string' ? undefined : `${field} is not a string`;
}

/** The fields the watcher routes on, per kind: a node name that is not a string would hash to nowhere. */
function routingProblem(kind: string, obj: KubeObject): string | undefined {
  if (kind === 'Pod') return nodeNameProblem('spec.nodeName', obj.spec?.nodeName);
  if (kind === 'VirtualMachineInstance') {
    return (
      nodeNameProblem('status.nodeName', obj.status?.nodeName) ??
      optionalObjectProblem('status.migrationState', obj.status?.migrationState) ??
      nodeNameProblem('status.migrationState.targetNode', obj.status?.migrationState?.targetNode)
    );
  }
  if (kind === 'VirtualMachineInstanceMigration') return optionalStringProblem('spec.vmiName', obj.spec?.vmiName);
  return undefined;
}

function nodeNameProblem(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return `${field} is not a string`;
  return v.length > MAX_NODE_NAME ? `${field} is longer than ${MAX_NODE_NAME} characters` : undefined;
}

/**
 * Why an object from the API cannot be routed or played (missing or mistyped fields the fleet
 * relies on), or undefined when it can. A real cluster validates most of this, but not every
 * field of every CRD version, and a malformed object must cost one log line, not the watcher.
 */
export function objectProblem(kind: string, obj: unknown): string | undefined {
  if (!isPlainObject(obj)) return 'the object is not a JSON object';
  const metadata = obj.metadata;
  if (!isPlainObject(metadata)) return 'metadata is missing or not an object';
  if (typeof metadata.name !== 'string' || !metadata.name) return 'metadata.name is missing or not a string';
  const k = obj as KubeObject;
  return (
    optionalStringProblem('metadata.namespace', metadata.namespace) ??
    optionalStringProblem('metadata.resourceVersion', metadata.resourceVersion) ??
    stringMapProblem('metadata.labels', metadata.labels) ??
    stringMapProblem('metadata.annotations', metadata.annotations) ??
    optionalObjectProblem('spec', obj.spec) ??
    optionalObjectProblem('status', obj.status) ??
    routingProblem(kind, k)
  );
}

/** `namespace/name` for a log line, from whatever metadata the object has; never throws. */
export function keyOf(obj: unknown): string {
  const m = isPlainObject(obj) ? obj.metadata : undefined;
  if (!isPlainObject(m)) return '(no metadata)';
  const name = typeof m.name === 'string' ? m.name : JSON.stringify(m.name ?? null);
  return typeof m.namespace === 'string' && m.namespace ? `${m.namespace}/${name}` : name;
}
