// Field ownership for server-side apply: field sets in metadata.managedFields' `FieldsV1` form
// (`f:<field>`, `k:{<keys>}`, `v:<value>`, `i:<index>`, `.` for a node owned itself), computed from
// objects with the list semantics of sigs.k8s.io/structured-merge-diff, and the managedFields
// entries themselves (one per manager + operation (+ apiVersion for Update) + subresource).
import { deepEqual, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import type { PatchSchema } from './patch-schema.ts';

/** A set of field paths, as a tree of path elements. `member` = the node itself is in the set. */
export class FieldSet {
  member = false;
  children: Map<string, FieldSet> | undefined;

  child(pe: string): FieldSet | undefined {
    return this.children?.get(pe);
  }

  ensure(pe: string): FieldSet {
    this.children ??= new Map();
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  isEmpty(): boolean {
    if (this.member) return false;
    if (!this.children) return true;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** Inserts a path (list of path elements) as a member. */
  insert(path: readonly string[]): void {
    let n: FieldSet = this;
    for (const pe of path) n = n.ensure(pe);
    n.member = true;
  }

  hasMember(path: readonly string[]): boolean {
    let n: FieldSet | undefined = this;
    for (const pe of path) {
      n = n.child(pe);
      if (!n) return false;
    }
    return n.member;
  }

  /** True when the path, or anything below it, is in the set. */
  hasPrefix(path: readonly string[]): boolean {
    let n: FieldSet | undefined = this;
    for (const pe of path) {
      n = n.child(pe);
      if (!n) return false;
    }
    return !n.isEmpty();
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.children) {
      out.children = new Map();
      for (const [k, v] of this.children) out.children.set(k, v.clone());
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  addAll(other: FieldSet): void {
    if (other.member) this.member = true;
    if (other.children) for (const [k, v] of other.children) this.ensure(k).addAll(v);
  }

  /** Members of this set that are not members of `other`. */
  difference(other: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other?.member;
    if (this.children) {
      for (const [k, v] of this.children) {
        const d = v.difference(other?.child(k));
        if (!d.isEmpty()) (out.children ??= new Map()).set(k, d);
      }
    }
    return out;
  }

  /** Members in both sets. */
  intersection(other: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    if (!other) return out;
    out.member = this.member && other.member;
    if (this.children && other.children) {
      for (const [k, v] of this.children) {
        const o = other.children.get(k);
        if (!o) continue;
        const i = v.intersection(o);
        if (!i.isEmpty()) (out.children ??= new Map()).set(k, i);
      }
    }
    return out;
  }

  /** Whether every member of `other` is a member of this set. */
  containsAll(other: FieldSet): boolean {
    if (other.member && !this.member) return false;
    if (other.children) {
      for (const [k, v] of other.children) {
        const c = this.children?.get(k);
        if (c ? !c.containsAll(v) : !v.isEmpty()) return false;
      }
    }
    return true;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every member path, in serialization order. */
  members(): string[][] {
    const out: string[][] = [];
    const walk = (n: FieldSet, path: string[]): void => {
      if (n.member && path.length) out.push(path.slice());
      for (const k of sortedKeys(n)) {
        path.push(k);
        walk(n.children!.get(k)!, path);
        path.pop();
      }
    };
    walk(this, []);
    return out;
  }

  /** The `fieldsV1` JSON object. */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    if (this.member && this.children && this.children.size > 0) out['.'] = {};
    for (const k of sortedKeys(this)) {
      const c = this.children!.get(k)!;
      if (c.isEmpty()) continue;
      out[k] = c.toFieldsV1();
    }
    return out;
  }

  /** Parses a `fieldsV1` JSON object. */
  static fromFieldsV1(v: unknown): FieldSet {
    const out = new FieldSet();
    if (!isObject(v)) return out;
    for (const [k, c] of Object.entries(v)) {
      if (k === '.') {
        out.member = true;
        continue;
      }
      const child = FieldSet.fromFieldsV1(c);
      // A node written as {} is a leaf member.
      if (!isObject(c) || Object.keys(c).length === 0) child.member = true;
      (out.children ??= new Map()).set(k, child);
    }
    return out;
  }
}

// SMD orders path elements: field names, then values, then keys, then indexes; each by content.
const PE_ORDER: Record<string, number> = { f: 0, v: 1, k: 2, i: 3 };
function sortedKeys(n: FieldSet): string[] {
  if (!n.children) return [];
  return [...n.children.keys()].sort((a, b) => {
    const oa = PE_ORDER[a[0]!] ?? 9;
    const ob = PE_ORDER[b[0]!] ?? 9;
    if (oa !== ob) return oa - ob;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** `.spec.containers[name="c"].image`: a path as kube-apiserver prints it in conflicts. */
export function pathToString(path: readonly string[]): string {
  let s = '';
  for (const pe of path) {
    const kind = pe[0];
    const body = pe.slice(2);
    if (kind === 'f') s += `.${body}`;
    else if (kind === 'v') s += `[=${body}]`;
    else if (kind === 'i') s += `[${body}]`;
    else if (kind === 'k') {
      const keys = JSON.parse(body) as JsonObject;
      s += `[${Object.keys(keys).map((k) => `${k}=${JSON.stringify(keys[k])}`).join(',')}]`;
    } else s += pe;
  }
  return s;
}

// ---- list semantics ----

export type ListKind = 'atomic' | 'set' | 'map';

/** The list type of a field: explicit (CRD / listType markers), else from strategic-merge tags, else atomic. */
export function listKindOf(schema: PatchSchema | undefined, sample: unknown[]): { kind: ListKind; keys: string[] } {
  if (schema?.listType === 'map' && schema.listMapKeys?.length) return { kind: 'map', keys: schema.listMapKeys };
  if (schema?.listType === 'set') return { kind: 'set', keys: [] };
  if (schema?.listType === 'atomic') return { kind: 'atomic', keys: [] };
  if (schema?.patchStrategy?.includes('merge')) {
    if (schema.patchMergeKey) return { kind: 'map', keys: [schema.patchMergeKey] };
    if (sample.every((x) => !isObject(x) && !Array.isArray(x))) return { kind: 'set', keys: [] };
  }
  return { kind: 'atomic', keys: [] };
}

/** The `k:{...}` path element of an associative list element (keys sorted, the list's key defaults filled). */
export function keyElement(el: unknown, keys: string[], listSchema: PatchSchema | undefined): string | undefined {
  if (!isObject(el)) return undefined;
  const k: JsonObject = {};
  for (const name of [...keys].sort()) {
    const v = el[name] ?? listSchema?.listMapKeyDefaults?.[name];
    if (v === undefined) continue;
    k[name] = v;
  }
  if (Object.keys(k).length === 0) return undefined;
  return `k:${JSON.stringify(k)}`;
}

export const valueElement = (v: unknown): string => `v:${JSON.stringify(v)}`;

interface Child {
  pe: string;
  value: unknown;
  schema: PatchSchema | undefined;
  /** Owned as a node itself even with children (list items and map entries). */
  item: boolean;
}

/** The children of a value under its schema, or undefined when it is owned as a whole (a leaf). */
export function childrenOf(v: unknown, schema: PatchSchema | undefined): Child[] | undefined {
  if (Array.isArray(v)) {
    const { kind, keys } = listKindOf(schema, v);
    if (kind === 'atomic') return undefined;
    const out: Child[] = [];
    const items = schema?.items;
    for (let i = 0; i < v.length; i++) {
      const el = v[i];
      const pe = kind === 'set' ? valueElement(el) : (keyElement(el, keys, schema) ?? `i:${i}`);
      out.push({ pe, value: el, schema: items, item: true });
    }
    return out;
  }
  if (isObject(v)) {
    if (schema?.mapType === 'atomic') return undefined;
    const keys = Object.keys(v);
    if (keys.length === 0) return undefined;
    const out: Child[] = [];
    for (const k of keys) {
      const declared = schema?.fields?.[k];
      out.push({ pe: `f:${k}`, value: v[k], schema: declared ?? schema?.values, item: !declared && schema?.values !== undefined });
    }
    return out;
  }
  return undefined;
}

/** The fields of a value as a field set rooted at `node` (structured-merge-diff's ToFieldSet). */
export function addFieldSetOf(v: unknown, schema: PatchSchema | undefined, node: FieldSet): void {
  const cs = childrenOf(v, schema);
  if (!cs) {
    node.member = true;
    return;
  }
  for (const c of cs) {
    const cn = node.ensure(c.pe);
    addFieldSetOf(c.value, c.schema, cn);
    if (c.item) cn.member = true;
  }
}

export function fieldSetOf(v: unknown, schema: PatchSchema | undefined): FieldSet {
  const s = new FieldSet();
  const cs = childrenOf(v, schema);
  if (cs) addFieldSetOf(v, schema, s);
  return s;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * A whole added (or removed) subtree: structured-merge-diff's Compare records every node of it,
 * containers included (which is where the `.` entries of Update managers come from). Top-level
 * fields (spec, metadata, status) are left out: on built-in kinds they always exist as structs.
 */
function addSubtree(v: unknown, schema: PatchSchema | undefined, node: FieldSet, depth: number, item: boolean): void {
  if (depth >= 2 || item) node.member = true;
  const cs = childrenOf(v, schema);
  if (!cs) {
    if (depth >= 1) node.member = true;
    return;
  }
  for (const c of cs) addSubtree(c.value, c.schema, node.ensure(c.pe), depth + 1, c.item);
}

/**
 * What changed from `a` to `b`, as field sets (structured-merge-diff's Compare).
 * metadata.managedFields is not compared.
 */
export function compareObjects(a: unknown, b: unknown, schema: PatchSchema | undefined): Comparison {
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (x: unknown, y: unknown, s: PatchSchema | undefined, path: string[], item: boolean): void => {
    if (x === y) return;
    // Objects on both sides (the common case): walk keys directly, without building child lists.
    if (isObject(x) && isObject(y) && s?.mapType !== 'atomic' && x !== null) {
      let kx = 0;
      let ky = 0;
      for (const _k in x) kx++;
      for (const _k in y) ky++;
      if (kx > 0 && ky > 0) {
        const skipManaged = path.length === 1 && path[0] === 'f:metadata';
        for (const k in x) {
          if (skipManaged && k === 'managedFields') continue;
          const declared = s?.fields?.[k];
          path.push(`f:${k}`);
          walk(x[k], y[k], declared ?? s?.values, path, !declared && s?.values !== undefined);
          path.pop();
        }
        for (const k in y) {
          if (Object.hasOwn(x, k) || (skipManaged && k === 'managedFields')) continue;
          const declared = s?.fields?.[k];
          path.push(`f:${k}`);
          walk(undefined, y[k], declared ?? s?.values, path, !declared && s?.values !== undefined);
          path.pop();
        }
        return;
      }
    }
    walkGeneric(x, y, s, path, item);
  };
  const walkGeneric = (x: unknown, y: unknown, s: PatchSchema | undefined, path: string[], item: boolean): void => {
    // Patched objects share untouched subtrees with the stored one: identical means unchanged.
    if (x === y) return;
    if (x === undefined || y === undefined) {
      const target = x === undefined ? cmp.added : cmp.removed;
      let n = target;
      for (const pe of path) n = n.ensure(pe);
      addSubtree(x === undefined ? y : x, s, n, path.length, item);
      return;
    }
    // An empty object compares as a container with no children (not as a leaf) when the other side has fields.
    const bothMaps = isObject(x) && isObject(y) && s?.mapType !== 'atomic';
    const cx = bothMaps && Object.keys(x).length === 0 ? [] : childrenOf(x, s);
    const cy = bothMaps && Object.keys(y).length === 0 ? [] : childrenOf(y, s);
    const sameShape = cx && cy && Array.isArray(x) === Array.isArray(y);
    if (!sameShape) {
      if (!deepEqual(x, y)) cmp.modified.insert(path);
      return;
    }
    const mx = new Map(cx.map((c) => [c.pe, c]));
    const my = new Map(cy.map((c) => [c.pe, c]));
    for (const [pe, c] of mx) {
      path.push(pe);
      walk(c.value, my.get(pe)?.value, c.schema, path, c.item);
      path.pop();
    }
    for (const [pe, c] of my) {
      if (mx.has(pe)) continue;
      path.push(pe);
      walk(undefined, c.value, c.schema, path, c.item);
      path.pop();
    }
  };
  walk(a, b, schema, [], false);
  return cmp;
}

// ---- managedFields entries ----

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ManagerIdentity {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
}

/**
 * One managedFields entry while a write is processed. Its field set is decoded from `fieldsV1`
 * only when needed, and an entry that did not change is written back as it was (no re-encoding):
 * most writes touch one manager's fields only.
 */
export class ManagerState implements ManagerIdentity {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  private decoded: FieldSet | undefined;
  private readonly raw: unknown;
  /** The entry as read, reused on encode while nothing changed. */
  readonly original: ManagedFieldsEntry | undefined;
  dirty: boolean;

  constructor(id: ManagerIdentity, set?: FieldSet, raw?: unknown, original?: ManagedFieldsEntry) {
    this.manager = id.manager;
    this.operation = id.operation;
    this.apiVersion = id.apiVersion;
    if (id.time) this.time = id.time;
    if (id.subresource) this.subresource = id.subresource;
    this.decoded = set;
    this.raw = raw;
    this.original = original;
    this.dirty = set !== undefined || original === undefined;
  }

  get set(): FieldSet {
    return (this.decoded ??= FieldSet.fromFieldsV1(this.raw));
  }

  set set(s: FieldSet) {
    this.decoded = s;
    this.dirty = true;
  }

  /** Whether any member of `other` is a member of this set (checked on the raw form when not decoded). */
  intersects(other: FieldSet): boolean {
    if (this.decoded) return !this.decoded.intersection(other).isEmpty();
    return isObject(this.raw) && rawOverlaps(other, this.raw);
  }
}

function rawOverlaps(c: FieldSet, raw: JsonObject): boolean {
  if (c.member && (Object.keys(raw).length === 0 || Object.hasOwn(raw, '.'))) return true;
  if (c.children) {
    for (const [pe, cc] of c.children) {
      const r = raw[pe];
      if (isObject(r) && rawOverlaps(cc, r)) return true;
    }
  }
  return false;
}

/** Identity of a manager entry: Apply entries are one per manager (+subresource), Update per apiVersion too. */
export function managerKey(m: { manager: string; operation: string; apiVersion: string; subresource?: string }): string {
  return `${m.manager}\u0000${m.operation}\u0000${m.operation === 'Update' ? m.apiVersion : ''}\u0000${m.subresource ?? ''}`;
}

export function decodeManagedFields(entries: unknown): Map<string, ManagerState> {
  const out = new Map<string, ManagerState>();
  if (!Array.isArray(entries)) return out;
  for (const e of entries) {
    if (!isObject(e) || typeof e.manager !== 'string') continue;
    const id: ManagerIdentity = {
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      ...(typeof e.time === 'string' ? { time: e.time } : {}),
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
    };
    const k = managerKey(id);
    const prev = out.get(k);
    if (prev) {
      // Two entries for one manager: merge them (and re-encode).
      const merged = prev.set.union(FieldSet.fromFieldsV1(e.fieldsV1));
      prev.set = merged;
    } else {
      out.set(k, new ManagerState(id, undefined, e.fieldsV1, e as unknown as ManagedFieldsEntry));
    }
  }
  return out;
}

/** Entries sorted as kube-apiserver writes them: operation, time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Map<string, ManagerState>): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const m of managers.values()) {
    if (!m.dirty && m.original) {
      out.push(m.original);
      continue;
    }
    if (m.set.isEmpty()) continue;
    out.push({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: m.set.toFieldsV1(),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    });
  }
  if (out.length < 2) return out;
  const secsOf = new Map<ManagedFieldsEntry, number>(out.map((e) => [e, e.time ? Math.floor(Date.parse(e.time) / 1000) : 0]));
  out.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const ps = secsOf.get(p)!;
    const qs = secsOf.get(q)!;
    if (ps !== qs) return ps - qs;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
  });
  return out;
}

/** metav1.Time as RFC 3339 with second precision. */
export function formatTime(t: Date | string | undefined): string {
  if (typeof t === 'string') return t;
  return (t ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---- fields never tracked, and fields reset by the kind's strategy ----

/** Fields the field manager never records (fieldmanager's stripSet). */
export const STRIPPED_FIELDS: readonly string[][] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata', 'f:name'],
  ['f:metadata', 'f:namespace'],
  ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:selfLink'],
  ['f:metadata', 'f:uid'],
  ['f:metadata', 'f:clusterName'],
  ['f:metadata', 'f:generation'],
  ['f:metadata', 'f:managedFields'],
  ['f:metadata', 'f:resourceVersion'],
];

/** `status` or `metadata.labels` → path elements. */
export function dottedToPath(dotted: string): string[] {
  return dotted.split('.').map((f) => `f:${f}`);
}

/** Removes the paths (and everything below them) from a set, in place. */
export function removePaths(set: FieldSet, paths: readonly (readonly string[])[]): void {
  for (const p of paths) {
    let n: FieldSet | undefined = set;
    for (let i = 0; i < p.length - 1 && n; i++) n = n.child(p[i]!);
    n?.children?.delete(p[p.length - 1]!);
  }
}

/** The `fieldManager` kube-apiserver derives from a User-Agent when the request names none. */
export function defaultFieldManager(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}
