/**
 * Equality of two values as the API sees them, i.e. as JSON: key order does not matter, and an
 * object key whose value is undefined counts as absent (JSON.stringify drops it). The controllers
 * compare every status field they would write with the one the object has, for each VMI change, so
 * this walks the values instead of serializing both with sorted keys (which cost the stand-ins
 * about 3 % of their CPU at 100 VMIs/s).
 */
export function same(a: unknown, b: unknown): boolean {
  return jsonEqual(a ?? null, b ?? null);
}

/** What JSON.stringify drops from an object (and writes as null in an array). */
const dropped = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return sortedJson(a) === sortedJson(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(dropped(a[i]) ? null : a[i], dropped(b[i]) ? null : b[i])) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b) || !isPlainObject(a) || !isPlainObject(b)) return sortedJson(a) === sortedJson(b);
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let present = 0;
  for (const k of Object.keys(ao)) {
    if (dropped(ao[k])) continue;
    present++;
    if (!Object.hasOwn(bo, k) || dropped(bo[k]) || !jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k of Object.keys(bo)) if (!dropped(bo[k])) present--;
  return present === 0;
}

/** JSON with sorted keys: the rare values the walk does not take (numbers that are not finite, Dates, mixed types). */
export function sortedJson(v: unknown): string | undefined {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : val,
  );
}
