// Server-side apply (application/apply-patch+yaml) and field-ownership tracking of ordinary
// writes, following sigs.k8s.io/structured-merge-diff as kube-apiserver uses it:
//  - apply merges the applied configuration into the live object (associative lists by key, sets
//    by value, atomic lists and scalars replaced), makes the manager own exactly the applied fields,
//    and removes fields the manager applied before but no longer applies when nobody else owns them;
//  - changing a field another manager owns is a conflict (409) unless forced, which takes it over;
//  - an ordinary write (create/update/patch) makes its manager own the fields it changed and takes
//    them away from the other managers.
import { deepClone, deepEqual, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import {
  FieldSet,
  STRIPPED_FIELDS,
  compareObjects,
  decodeManagedFields,
  dottedToPath,
  encodeManagedFields,
  fieldSetOf,
  formatTime,
  keyElement,
  listKindOf,
  managerKey,
  pathToString,
  removePaths,
  valueElement,
} from './managed-fields.ts';
import { ManagerState } from './managed-fields.ts';
import type { PatchSchema } from './patch-schema.ts';

export interface Conflict {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  /** Path elements (`f:spec`, `f:replicas`). */
  path: string[];
  /** The path as kube-apiserver prints it: `.spec.replicas`. */
  field: string;
}

export interface ServerSideApplyOptions {
  /** The stored object, or undefined when apply creates it. Not mutated. */
  live: JsonObject | undefined;
  /** The applied configuration (decoded apply-patch+yaml). Not mutated. */
  applied: JsonObject;
  /** fieldManager (required for apply). */
  manager: string;
  /** --force-conflicts: take over conflicting fields. */
  force?: boolean;
  /** List semantics: builtinPatchSchemas[...] for built-in kinds, CompiledSchema.patchSchema for CRDs. */
  listTypes?: PatchSchema;
  /** apiVersion recorded in the managedFields entry (default: the applied object's). */
  apiVersion?: string;
  time?: Date | string;
  /** e.g. 'status' for applies to the status subresource. */
  subresource?: string;
  /**
   * Fields the kind's strategy resets for this endpoint (kube-apiserver's ResetFieldsStrategy),
   * as dotted paths: e.g. ['status'] on the main resource of a kind with a status subresource.
   * Their applied values are ignored and they are never owned.
   */
  resetFields?: string[];
}

export type ServerSideApplyResult = { object: JsonObject; conflicts?: undefined } | { conflicts: Conflict[]; object?: undefined };

/** The manager k8s invents for the fields of an object that had no managedFields before its first apply. */
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

function withoutManagedFields(obj: JsonObject | undefined): JsonObject {
  if (!obj) return {};
  const out = deepClone(obj);
  if (isObject(out.metadata)) delete out.metadata.managedFields;
  return out;
}

function deleteDotted(obj: JsonObject, dotted: string): void {
  const parts = dotted.split('.');
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isObject(cur)) return;
    cur = cur[parts[i]!];
  }
  if (isObject(cur)) delete cur[parts[parts.length - 1]!];
}

const untrackedCache = new Map<string, string[][]>();
/** Stripped fields plus the endpoint's reset fields (memoized: called on every write). */
function untracked(resetFields: readonly string[] | undefined): string[][] {
  const key = resetFields?.join('\u0000') ?? '';
  let v = untrackedCache.get(key);
  if (!v) {
    v = [...STRIPPED_FIELDS.map((p) => [...p]), ...(resetFields ?? []).map(dottedToPath)];
    if (untrackedCache.size < 64) untrackedCache.set(key, v);
  }
  return v;
}

/** Merges an applied configuration into a live value (structured-merge-diff's Merge). */
function mergeApplied(live: unknown, cfg: unknown, schema: PatchSchema | undefined): unknown {
  if (cfg === undefined) return live;
  if (isObject(cfg) && isObject(live) && schema?.mapType !== 'atomic') {
    const out: JsonObject = { ...live };
    for (const k of Object.keys(cfg)) {
      const v = cfg[k];
      if (v === null) {
        delete out[k];
        continue;
      }
      out[k] = mergeApplied(live[k], v, schema?.fields?.[k] ?? schema?.values);
    }
    return out;
  }
  if (Array.isArray(cfg) && Array.isArray(live)) {
    const { kind, keys } = listKindOf(schema, cfg.length ? cfg : live);
    if (kind === 'set') {
      const out = live.slice();
      for (const v of cfg) if (!out.some((x) => deepEqual(x, v))) out.push(v);
      return out;
    }
    if (kind === 'map') {
      const items = schema?.items;
      const cfgByKey = new Map<string, unknown>();
      for (const el of cfg) {
        const k = keyElement(el, keys, schema);
        if (k) cfgByKey.set(k, el);
      }
      const out: unknown[] = [];
      const seen = new Set<string>();
      for (const el of live) {
        const k = keyElement(el, keys, schema);
        if (k && cfgByKey.has(k)) {
          out.push(mergeApplied(el, cfgByKey.get(k), items));
          seen.add(k);
        } else out.push(el);
      }
      for (const el of cfg) {
        const k = keyElement(el, keys, schema);
        if (!k || !seen.has(k)) out.push(el);
      }
      return out;
    }
  }
  return cfg;
}

/** Finds the element a path element names inside a container: [index or key, value]. */
function locate(container: unknown, pe: string, schema: PatchSchema | undefined): [string | number, unknown, PatchSchema | undefined] | undefined {
  const kind = pe[0];
  const body = pe.slice(2);
  if (kind === 'f') {
    if (!isObject(container) || !Object.hasOwn(container, body)) return undefined;
    return [body, container[body], schema?.fields?.[body] ?? schema?.values];
  }
  if (!Array.isArray(container)) return undefined;
  const items = schema?.items;
  if (kind === 'i') {
    const i = Number(body);
    return i < container.length ? [i, container[i], items] : undefined;
  }
  if (kind === 'v') {
    const i = container.findIndex((x) => valueElement(x) === pe);
    return i >= 0 ? [i, container[i], items] : undefined;
  }
  if (kind === 'k') {
    const { keys } = listKindOf(schema, container);
    const i = container.findIndex((x) => keyElement(x, keys, schema) === pe);
    return i >= 0 ? [i, container[i], items] : undefined;
  }
  return undefined;
}

/**
 * Removes from `value` what `last` (the manager's previous applied set) names when nobody
 * (`owned`: every manager's current set) owns it or anything below it.
 */
function removeUnowned(value: unknown, last: FieldSet, owned: FieldSet | undefined, schema: PatchSchema | undefined): void {
  if (!last.children) return;
  for (const [pe, child] of last.children) {
    const o = owned?.child(pe);
    const loc = locate(value, pe, schema);
    if (!loc) continue;
    const [k, sub, subSchema] = loc;
    if (!o || o.isEmpty()) {
      if (Array.isArray(value)) value.splice(k as number, 1);
      else delete (value as JsonObject)[k as string];
    } else if (child.children) {
      removeUnowned(sub, child, o, subSchema);
    }
  }
}

function collectConflicts(m: ManagerState, overlap: FieldSet, out: Conflict[]): void {
  for (const path of overlap.members()) {
    out.push({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.subresource ? { subresource: m.subresource } : {}),
      path,
      field: pathToString(path),
    });
  }
}

function withManagedFields(obj: JsonObject, managers: Map<string, ManagerState>): JsonObject {
  const entries = encodeManagedFields(managers);
  const meta: JsonObject = isObject(obj.metadata) ? { ...obj.metadata } : {};
  if (entries.length) meta.managedFields = entries;
  else delete meta.managedFields;
  return { ...obj, metadata: meta };
}

/** Applies `applied` as `manager`; returns the new object (with managedFields) or the conflicts. */
export function serverSideApply(opts: ServerSideApplyOptions): ServerSideApplyResult {
  const schema = opts.listTypes;
  const apiVersion = opts.apiVersion ?? (typeof opts.applied.apiVersion === 'string' ? opts.applied.apiVersion : '');
  const time = formatTime(opts.time);
  const ignore = untracked(opts.resetFields);
  const live = withoutManagedFields(opts.live);
  const cfg = withoutManagedFields(opts.applied);
  for (const f of opts.resetFields ?? []) deleteDotted(cfg, f);

  const managers = decodeManagedFields(opts.live && isObject(opts.live.metadata) ? opts.live.metadata.managedFields : undefined);
  if (opts.live && managers.size === 0) {
    // Fields of an object that never had managedFields belong to "before-first-apply".
    const set = fieldSetOf(live, schema);
    removePaths(set, ignore);
    if (!set.isEmpty()) {
      const m = new ManagerState({ manager: BEFORE_FIRST_APPLY_MANAGER, operation: 'Update', apiVersion }, set);
      managers.set(managerKey(m), m);
    }
  }

  const me = { manager: opts.manager, operation: 'Apply' as const, apiVersion, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
  const myKey = managerKey(me);
  const previous = managers.get(myKey);
  const configSet = fieldSetOf(cfg, schema);
  removePaths(configSet, ignore);

  const merged = mergeApplied(live, cfg, schema) as JsonObject;
  const mine = new ManagerState({ ...me, time }, configSet);
  managers.set(myKey, mine);

  if (previous) {
    const owned = new FieldSet();
    for (const m of managers.values()) owned.addAll(m.set);
    removeUnowned(merged, previous.set.difference(configSet), owned, schema);
  }

  const cmp = compareObjects(live, merged, schema);
  const changed = cmp.modified.union(cmp.added);
  // As kube-apiserver: an apply that leaves the object as it was keeps the entry's time.
  if (previous?.time && changed.isEmpty() && cmp.removed.isEmpty()) mine.time = previous.time;
  const conflicts: Conflict[] = [];
  for (const [k, m] of managers) {
    if (k === myKey || !m.intersects(changed)) continue;
    collectConflicts(m, m.set.intersection(changed), conflicts);
  }
  if (conflicts.length && !opts.force) return { conflicts };
  for (const [k, m] of managers) {
    if (k === myKey || !m.intersects(changed)) continue;
    m.set = m.set.difference(changed);
    if (m.set.isEmpty()) managers.delete(k);
  }
  return { object: withManagedFields(merged, managers) };
}

export interface RecordUpdateOptions {
  /** The object before the write (undefined on create). */
  oldObj: JsonObject | undefined;
  /** The object the write stores. */
  newObj: JsonObject;
  manager: string;
  operation?: 'Update';
  apiVersion: string;
  time?: Date | string;
  listTypes?: PatchSchema;
  subresource?: string;
  /** As in ServerSideApplyOptions: fields never owned through this endpoint. */
  resetFields?: string[];
}

function isResetRequest(mf: unknown): boolean {
  return Array.isArray(mf) && mf.length > 0 && mf.every((e) => isObject(e) && Object.keys(e).length === 0);
}

/**
 * Records an ordinary write (create, update, patch) in managedFields: the manager owns what it
 * added or changed, the other managers lose it. Returns `newObj` (shallow copy) with the new
 * metadata.managedFields. `managedFields: [{}]` in the new object clears the field, as in k8s;
 * other managedFields a client sends replace the stored ones before the write is recorded.
 */
export function recordUpdate(opts: RecordUpdateOptions): JsonObject {
  if (!isObject(opts.newObj.metadata)) return opts.newObj;
  const sentManaged = opts.newObj.metadata.managedFields;
  if (isResetRequest(sentManaged)) {
    const meta = { ...opts.newObj.metadata };
    delete meta.managedFields;
    return { ...opts.newObj, metadata: meta };
  }
  const oldManaged = opts.oldObj && isObject(opts.oldObj.metadata) ? opts.oldObj.metadata.managedFields : undefined;
  const useSent = Array.isArray(sentManaged) && sentManaged.length > 0 && !deepEqual(sentManaged, oldManaged);
  const managers = decodeManagedFields(useSent ? sentManaged : oldManaged);

  const schema = opts.listTypes;
  const ignore = untracked(opts.resetFields);
  const cmp = compareObjects(opts.oldObj ?? {}, opts.newObj, schema);
  for (const s of [cmp.added, cmp.modified, cmp.removed]) if (!s.isEmpty()) removePaths(s, ignore);
  const changed = cmp.modified.union(cmp.added);
  // Nothing tracked changed and the stored entries are carried as they are: nothing to rewrite.
  if (changed.isEmpty() && cmp.removed.isEmpty() && !useSent && sentManaged === oldManaged) return opts.newObj;

  const me = {
    manager: opts.manager,
    operation: opts.operation ?? ('Update' as const),
    apiVersion: opts.apiVersion,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  const myKey = managerKey(me);
  if (!changed.isEmpty()) {
    for (const [k, m] of managers) {
      if (k === myKey || !m.intersects(changed)) continue;
      m.set = m.set.difference(changed);
      if (m.set.isEmpty()) managers.delete(k);
    }
  }
  const previous = managers.get(myKey);
  // As kube-apiserver: a write that changed tracked fields re-stamps the manager's entry time.
  const time = changed.isEmpty() ? previous?.time : formatTime(opts.time);
  if (previous && cmp.removed.isEmpty() && previous.set.containsAll(changed)) {
    // The usual repeated write (a controller updating fields it already owns): same set.
    if (time !== previous.time) managers.set(myKey, new ManagerState({ ...me, ...(time ? { time } : {}) }, previous.set));
  } else {
    const set = (previous?.set ?? new FieldSet()).difference(cmp.removed);
    set.addAll(changed);
    removePaths(set, ignore);
    if (set.isEmpty()) managers.delete(myKey);
    else if (!(previous && previous.set.equals(set) && time === previous.time)) {
      managers.set(myKey, new ManagerState({ ...me, ...(time ? { time } : {}) }, set));
    }
  }
  return withManagedFields(opts.newObj, managers);
}

/** kube-apiserver's printManager: `"name"` for Apply, `"name" using v1` for Update. */
function printManager(c: Conflict): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === 'Update') s += ` using ${c.apiVersion}`;
  return s;
}

/** The 409 message: `Apply failed with 1 conflict: conflict with "m" using v1: .spec.replicas`. */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${printManager(c)}: ${c.field}`;
  }
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const k = printManager(c);
    byManager.set(k, [...(byManager.get(k) ?? []), c]);
  }
  const lines: string[] = [];
  for (const k of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${k}:`);
    for (const c of byManager.get(k)!) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** details.causes of the 409 Status. */
export function conflictCauses(conflicts: Conflict[]): Array<{ reason: 'FieldManagerConflict'; message: string; field: string }> {
  return conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c)}`, field: c.field }));
}
