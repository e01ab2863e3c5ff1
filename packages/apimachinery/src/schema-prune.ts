// Pruning of unknown fields and defaulting as kube-apiserver does them to a custom resource, in
// place (prune, applyDefaults) or copy-on-write (admit).
import { deepClone, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { child } from './schema-check.ts';
import type { Node } from './schema-node.ts';

// ---- pruning ----

/** ObjectMeta's fields: everything else under metadata is dropped, as decoding into ObjectMeta does. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

function pruneMeta(meta: unknown, path: string, pruned: string[]): void {
  if (!isObject(meta)) return;
  for (const k of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      delete meta[k];
      pruned.push(`${path}.${k}`);
    }
  }
}

export function pruneValue(v: unknown, node: Node, path: string, pruned: string[], isRoot: boolean): void {
  if (Array.isArray(v)) {
    if (node.items && node.items.prunes) for (let i = 0; i < v.length; i++) pruneValue(v[i], node.items, `${path}[${i}]`, pruned, false);
    return;
  }
  if (!isObject(v)) return;
  const keepTypeMeta = isRoot || node.embedded;
  for (const k of Object.keys(v)) {
    if (keepTypeMeta && (k === 'apiVersion' || k === 'kind')) continue;
    if (keepTypeMeta && k === 'metadata') {
      pruneMeta(v[k], child(path, k), pruned);
      continue;
    }
    const c = node.properties?.get(k);
    if (c) {
      // Non-nullable nulls are dropped silently (k8s' PruneNonNullableNullsWithoutDefaults);
      // applyDefaults then fills in a default where the schema has one.
      if (v[k] === null && !c.nullable) delete v[k];
      else if (c.prunes) pruneValue(v[k], c, child(path, k), pruned, false);
      continue;
    }
    if (node.additional !== undefined) {
      if (node.additional !== true && node.additional.prunes) pruneValue(v[k], node.additional, child(path, k), pruned, false);
      continue;
    }
    if (node.preserveUnknown) continue;
    delete v[k];
    pruned.push(child(path, k));
  }
}

// ---- defaulting ----

export function defaultValue(v: unknown, node: Node): void {
  if (Array.isArray(v)) {
    if (node.items?.hasDefaults) for (const x of v) defaultValue(x, node.items);
    return;
  }
  if (!isObject(v)) return;
  if (node.defaults) {
    for (const [k, d] of node.defaults) {
      const cur = v[k];
      // A null in a non-nullable field with a default is replaced by the default, as k8s does.
      if (cur === undefined || (cur === null && !node.properties!.get(k)!.nullable)) v[k] = deepClone(d);
    }
  }
  if (node.properties) {
    for (const [k, c] of node.properties) {
      const cur = v[k];
      if (c.hasDefaults && cur !== undefined && cur !== null) defaultValue(cur, c);
    }
  }
  if (node.additional !== undefined && node.additional !== true && node.additional.hasDefaults) {
    for (const k of Object.keys(v)) if (!node.properties?.has(k)) defaultValue(v[k], node.additional);
  }
}

// ---- copy-on-write admission (prune + defaults without touching the input) ----

export function admitValue(v: unknown, node: Node, path: string, pruned: string[], isRoot: boolean): unknown {
  if (Array.isArray(v)) {
    const it = node.items;
    if (!it || !(it.prunes || it.hasDefaults)) return v;
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const nv = admitValue(v[i], it, `${path}[${i}]`, pruned, false);
      if (nv !== v[i]) (out ??= v.slice())[i] = nv;
    }
    return out ?? v;
  }
  if (!isObject(v)) return v;
  let out: JsonObject | undefined;
  const w = (): JsonObject => (out ??= { ...v });
  const keepTypeMeta = isRoot || node.embedded;
  for (const k of Object.keys(v)) {
    const cur = v[k];
    if (keepTypeMeta && (k === 'apiVersion' || k === 'kind')) continue;
    if (keepTypeMeta && k === 'metadata') {
      if (isObject(cur) && Object.keys(cur).some((mk) => !OBJECT_META_FIELDS.has(mk))) {
        const meta = { ...cur };
        pruneMeta(meta, child(path, k), pruned);
        w()[k] = meta;
      }
      continue;
    }
    const c = node.properties?.get(k) ?? (node.additional !== undefined && node.additional !== true ? node.additional : undefined);
    if (c) {
      if (cur === null && !c.nullable && node.properties?.has(k)) {
        delete w()[k];
        continue;
      }
      if (c.prunes || c.hasDefaults) {
        const nv = admitValue(cur, c, child(path, k), pruned, false);
        if (nv !== cur) w()[k] = nv;
      }
      continue;
    }
    if (node.additional === true || node.preserveUnknown) continue;
    delete w()[k];
    pruned.push(child(path, k));
  }
  if (node.defaults) {
    for (const [k, d] of node.defaults) {
      const cur = (out ?? v)[k];
      if (cur === undefined || (cur === null && !node.properties!.get(k)!.nullable)) w()[k] = deepClone(d);
    }
  }
  return out ?? v;
}
