// Small helpers over decoded JSON values (plain objects, arrays, scalars).

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) {
    if (!Object.hasOwn(b, k) || !deepEqual((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  }
  return true;
}

/** Deep copy of a JSON value (faster than structuredClone for plain JSON). */
export function deepClone<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepClone(v[i]);
    return out as T;
  }
  const out: JsonObject = {};
  for (const k in v as JsonObject) out[k] = deepClone((v as JsonObject)[k]);
  return out as T;
}

/** The JSON type name the way OpenAPI validation reports it. */
export function jsonTypeOf(v: unknown): 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object' {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/**
 * A fresh copy of the root object and of its `metadata` (the parts a server stamps on every
 * write), so that a patch result sharing untouched subtrees with its input is still safe to stamp.
 */
export function freshRootAndMetadata(doc: JsonObject, original: unknown): JsonObject {
  const out = doc === original ? { ...doc } : doc;
  if (isObject(out.metadata) && isObject(original) && out.metadata === original.metadata) out.metadata = { ...out.metadata };
  return out;
}
