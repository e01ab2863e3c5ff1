// Strategic merge patch (application/strategic-merge-patch+json) for built-in kinds, with the
// semantics of k8s.io/apimachinery/pkg/util/strategicpatch as kube-apiserver applies it
// (StrategicMergeMapPatch: parallel lists, unmatched nulls ignored).
//
// Lists whose field has patchStrategy "merge" are merged: by patchMergeKey for lists of objects,
// as a union for lists of scalars. Every other list is replaced. Directives: `$patch`
// (replace | delete; `merge` is accepted in maps as the no-op it names, where kube-apiserver
// refuses it), `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
// `$setElementOrder/<field>`. Inputs are never mutated; untouched subtrees are shared.
import { PatchError } from './errors.ts';
import { deepEqual, freshRootAndMetadata, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import type { PatchSchema } from './patch-schema.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/** Go's %v of a decoded JSON value, as strategicpatch's error messages print maps. */
function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goV(v[k])}`).join(' ')}]`;
  return String(v);
}

const badPatchType = (t: unknown, m: JsonObject): PatchError => new PatchError(`unknown patch type: ${goV(t)} in map: ${goV(m)}`, 500);
const noMergeKey = (m: JsonObject, key: string): PatchError => new PatchError(`map: ${goV(m)} does not contain declared merge key: ${key}`, 500);

function strategyOf(schema: PatchSchema | undefined): { merge: boolean; replace: boolean } {
  const s = schema?.patchStrategy ?? '';
  const parts = s.split(',');
  return { merge: parts.includes('merge'), replace: parts.includes('replace') };
}

function fieldSchema(schema: PatchSchema | undefined, key: string): PatchSchema | undefined {
  return schema?.fields?.[key] ?? schema?.values;
}

/** A value taken from the patch where the original has nothing: directives processed, nulls dropped. */
function clean(v: unknown, schema: PatchSchema | undefined): unknown {
  if (isObject(v)) return mergeMap({}, v, schema);
  if (Array.isArray(v)) return mergeList([], v, schema);
  return v;
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchSchema | undefined): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      const rest: JsonObject = { ...patch };
      delete rest[DIRECTIVE];
      return mergeMap({}, rest, schema);
    }
    if (d === 'delete') return {};
    if (d !== 'merge') throw badPatchType(d, patch);
  }

  let out: JsonObject = original;
  const write = (): JsonObject => (out === original ? (out = { ...original }) : out);

  if (Object.hasOwn(patch, RETAIN_KEYS)) {
    const keep = patch[RETAIN_KEYS];
    if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) throw new PatchError('invalid patch format of retainKeys', 400);
    for (const k of Object.keys(patch)) {
      // Directives and deletions (null) need not be listed; any other patched key must be.
      if (k.startsWith('$') || patch[k] === null) continue;
      if (!keep.includes(k)) throw new PatchError('invalid patch format of retainKeys', 400);
    }
    for (const k of Object.keys(original)) if (!keep.includes(k)) delete write()[k];
  }

  // Deletions from primitive lists happen before the list itself is merged.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const del = patch[k];
    if (!Array.isArray(del)) throw new PatchError('invalid patch format of primitive list', 400);
    const cur = out[field];
    if (Array.isArray(cur)) write()[field] = cur.filter((x) => !del.some((d) => deepEqual(d, x)));
  }

  const orders: Array<[string, unknown[]]> = [];
  for (const k of Object.keys(patch)) {
    if (k.startsWith('$')) {
      if (k.startsWith(SET_ELEMENT_ORDER)) {
        const order = patch[k];
        if (!Array.isArray(order)) throw new PatchError('invalid patch format of setElementOrder list', 400);
        orders.push([k.slice(SET_ELEMENT_ORDER.length), order]);
      }
      continue;
    }
    const pv = patch[k];
    if (pv === null) {
      if (Object.hasOwn(out, k)) delete write()[k];
      continue;
    }
    const sub = fieldSchema(schema, k);
    const ov = out[k];
    let nv: unknown;
    if (!Object.hasOwn(out, k) || ov === null) nv = clean(pv, sub);
    else if (isObject(ov) && isObject(pv)) nv = strategyOf(sub).replace ? clean(pv, sub) : mergeMap(ov, pv, sub);
    else if (Array.isArray(ov) && Array.isArray(pv)) nv = mergeList(ov, pv, sub);
    else nv = clean(pv, sub);
    if (nv !== ov) write()[k] = nv;
  }

  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) write()[field] = applyElementOrder(cur, order, original[field], fieldSchema(schema, field));
  }
  return out;
}

function identity(el: unknown, mergeKey: string | undefined): unknown {
  return mergeKey && isObject(el) ? el[mergeKey] : el;
}

/**
 * $setElementOrder (strategicpatch's normalizeElementOrder): the elements the patch names come in
 * that order; elements only the server has are interleaved by their position in the live list,
 * keeping both relative orders.
 */
function applyElementOrder(list: unknown[], order: unknown[], live: unknown, schema: PatchSchema | undefined): unknown[] {
  const mk = schema?.patchMergeKey;
  const ids = order.map((o) => (mk && isObject(o) ? o[mk] : o));
  const rank = (el: unknown): number => ids.findIndex((id) => deepEqual(id, identity(el, mk)));
  const liveList = Array.isArray(live) ? live : [];
  const livePos = (el: unknown): number => liveList.findIndex((l) => deepEqual(identity(l, mk), identity(el, mk)));
  const named = list.filter((el) => rank(el) >= 0).sort((a, b) => rank(a) - rank(b));
  const serverOnly = list.filter((el) => rank(el) < 0).sort((a, b) => livePos(a) - livePos(b));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(named[j++]);
    else {
      const li = livePos(serverOnly[i]);
      const ri = livePos(named[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(named[j++]);
    }
  }
  return out;
}

function mergeList(original: unknown[], patch: unknown[], schema: PatchSchema | undefined): unknown[] {
  if (patch.some(Array.isArray)) throw new PatchError('lists of lists are not supported', 422);
  const itemSchema = schema?.items;
  if (!strategyOf(schema).merge) return patch.map((el) => clean(el, itemSchema));
  if (patch.length === 0) return original;

  if (!isObject(patch[0])) {
    // Set of scalars: union, then in the patch's order (see inPatchOrder).
    let out: unknown[] | undefined;
    for (const el of patch) {
      if (!(out ?? original).some((o) => deepEqual(o, el))) (out ??= original.slice()).push(el);
    }
    return inPatchOrder(out ?? original, patch, original, schema);
  }

  const mk = schema?.patchMergeKey;
  if (!mk) throw new PatchError('cannot merge lists without merge key', 500);
  let out: unknown[] = original;
  const write = (): unknown[] => (out === original ? (out = original.slice()) : out);
  let replace = false;
  const plain: JsonObject[] = [];
  for (const el of patch) {
    if (!isObject(el)) throw new PatchError(`unable to merge list elements: ${goV(el)} is not an object`, 500);
    if (!Object.hasOwn(el, DIRECTIVE)) {
      plain.push(el);
      continue;
    }
    const d = el[DIRECTIVE];
    if (d === 'delete') {
      if (!Object.hasOwn(el, mk)) throw noMergeKey(el, mk);
      const key = el[mk];
      if (out.some((o) => isObject(o) && deepEqual(o[mk], key))) out = write().filter((o) => !(isObject(o) && deepEqual(o[mk], key)));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch', 500);
    } else {
      throw badPatchType(d, el);
    }
  }
  if (replace) return plain.map((el) => clean(el, itemSchema));
  for (const el of plain) {
    if (!Object.hasOwn(el, mk)) throw noMergeKey(el, mk);
    const key = el[mk];
    const i = out.findIndex((o) => isObject(o) && deepEqual(o[mk], key));
    if (i >= 0) {
      const merged = mergeMap(out[i] as JsonObject, el, itemSchema);
      if (merged !== out[i]) write()[i] = merged;
    } else {
      write().push(clean(el, itemSchema));
    }
  }
  return inPatchOrder(out, plain, original, schema);
}

/**
 * strategicpatch orders every merged list as $setElementOrder would with the patch's own list as
 * the order: the patched elements in the patch's order, the server's other elements interleaved
 * by their live position (so patching [C, A] onto [A, B] gives [C, A, B], not [A, B, C]).
 */
function inPatchOrder(list: unknown[], patch: unknown[], live: unknown[], schema: PatchSchema | undefined): unknown[] {
  if (list.length < 2) return list;
  const ordered = applyElementOrder(list, patch, live, schema);
  return ordered.every((el, i) => el === list[i]) ? list : ordered;
}

/**
 * Applies a strategic merge patch to `doc` using the patch metadata in `schema`
 * (see builtinPatchSchemas). Throws PatchError with kube-apiserver's code and message.
 */
export function applyStrategicMergePatch<T = JsonObject>(doc: T, patch: unknown, schema: PatchSchema | undefined): T {
  if (!isObject(patch)) {
    const t = Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch;
    throw new PatchError(`json: cannot unmarshal ${t} into Go value of type map[string]interface {}`, 400);
  }
  if (!isObject(doc)) throw new PatchError('invalid JSON document', 400);
  return freshRootAndMetadata(mergeMap(doc, patch, schema), doc) as T;
}
