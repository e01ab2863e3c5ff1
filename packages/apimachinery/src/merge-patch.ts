// RFC 7386 JSON merge patch (application/merge-patch+json), as kube-apiserver applies it with
// evanphx/json-patch's MergePatch, and the inverse: the smallest merge patch from one object to another.
//
// applyMergePatch never mutates its inputs; untouched subtrees are shared with `doc`, and the root
// and `metadata` are always fresh copies (see json-patch.ts).
import { PatchError } from './errors.ts';
import { deepEqual, freshRootAndMetadata, isObject } from './json.ts';
import type { JsonObject } from './json.ts';

/** Drops null members of objects (also inside arrays): what a merge patch adds must not carry nulls. */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? x : pruneNulls(x)));
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k in v) if (v[k] !== null) out[k] = pruneNulls(v[k]);
  return out;
}

function mergeObject(target: JsonObject, patch: JsonObject): JsonObject {
  let out: JsonObject | undefined;
  for (const k in patch) {
    const pv = patch[k];
    if (pv === null) {
      if (Object.hasOwn(target, k)) {
        out ??= { ...target };
        delete out[k];
      }
      continue;
    }
    const tv = target[k];
    let nv: unknown;
    if (isObject(pv)) nv = isObject(tv) ? mergeObject(tv, pv) : pruneNulls(pv);
    else nv = pruneNulls(pv);
    if (nv !== tv) {
      out ??= { ...target };
      out[k] = nv;
    }
  }
  return out ?? target;
}

/**
 * Applies an RFC 7386 merge patch. A non-object patch replaces the document (the caller then
 * refuses it when it is not an object). Throws PatchError 400 when `doc` is not an object.
 */
export function applyMergePatch<T = JsonObject>(doc: T, patch: unknown): T {
  if (!isObject(patch)) return pruneNulls(patch) as T;
  if (!isObject(doc)) throw new PatchError('Invalid JSON Document', 400);
  return freshRootAndMetadata(mergeObject(doc, patch), doc) as T;
}

function diff(from: JsonObject, to: JsonObject): JsonObject | null {
  let out: JsonObject | null = null;
  for (const k in from) {
    if (!Object.hasOwn(to, k)) (out ??= {})[k] = null;
  }
  for (const k in to) {
    const tv = to[k];
    if (!Object.hasOwn(from, k)) {
      (out ??= {})[k] = tv;
      continue;
    }
    const fv = from[k];
    if (isObject(fv) && isObject(tv)) {
      const sub = diff(fv, tv);
      if (sub !== null) (out ??= {})[k] = sub;
    } else if (!deepEqual(fv, tv)) {
      (out ??= {})[k] = tv;
    }
  }
  return out;
}

/**
 * The merge patch that turns `from` into `to`, or null when they are equal (so a writer can skip
 * a no-op write). A null member in `to` cannot be expressed in a merge patch and is emitted as a
 * deletion, as RFC 7386 dictates.
 */
export function createMergePatch(from: JsonObject, to: JsonObject): JsonObject | null {
  return diff(from, to);
}
