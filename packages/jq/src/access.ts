// Indexing, slicing and path updates over plain JSON values with gojq's rules and error wording.
import { JqRuntimeError } from './errors.ts';
import { compare, equals, isObject, typeErrorPreview, type JsonObject } from './values.ts';

const hasOwn = Object.prototype.hasOwnProperty;

export function fail(message: string): JqRuntimeError {
  return new JqRuntimeError(message);
}

/** `o[k]` for an own property only (never the prototype chain); missing => null. */
export function getField(o: JsonObject, k: string): unknown {
  const v = o[k];
  if (v === undefined) return null;
  // JSON values are never functions: only inherited members (and `__proto__`) need the own check
  if (typeof v === 'function' || k === '__proto__') return hasOwn.call(o, k) ? v : null;
  return v;
}

function clampIndex(i: number, min: number, max: number): number {
  if (i < 0) i += max;
  return i < min ? min : i > max ? max : i;
}

function toInt(n: number): number {
  return Math.trunc(n);
}

/** `v[k]` as jq's `.[k]`. */
export function indexValue(v: unknown, k: unknown): unknown {
  if (typeof k === 'string') {
    if (v === null || v === undefined) return null;
    if (isObject(v)) return getField(v, k);
    throw fail('expected an object but got: ' + typeErrorPreview(v));
  }
  if (typeof k === 'number') {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) {
      if (Number.isNaN(k)) return null;
      const i = clampIndex(toInt(k), -1, v.length);
      return i >= 0 && i < v.length ? (v[i] === undefined ? null : v[i]) : null;
    }
    if (typeof v === 'string') {
      const cps = Array.from(v);
      const i = clampIndex(toInt(k), -1, cps.length);
      return i >= 0 && i < cps.length ? cps[i] : null;
    }
    throw fail('expected an array but got: ' + typeErrorPreview(v));
  }
  if (Array.isArray(k)) {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return indicesOf(v, k);
    throw fail('expected an array but got: ' + typeErrorPreview(v));
  }
  if (isObject(k)) {
    if (v === null || v === undefined) return null;
    if (!hasOwn.call(k, 'start') || !hasOwn.call(k, 'end')) {
      throw fail('expected "start" and "end" for slicing but got: ' + typeErrorPreview(k));
    }
    return sliceValue(v, k['start'], k['end']);
  }
  if (Array.isArray(v)) throw fail('expected a number for indexing an array but got: ' + typeErrorPreview(k));
  if (typeof v === 'string') throw fail('expected a number for indexing a string but got: ' + typeErrorPreview(k));
  throw fail('expected a string for object key but got: ' + typeErrorPreview(k));
}

/** Positions where `sub` occurs as a contiguous run in `v` (jq's `indices` for arrays). */
export function indicesOf(v: unknown[], sub: unknown[]): number[] | null {
  if (sub.length === 0) return null;
  const out: number[] = [];
  for (let i = 0; i + sub.length <= v.length; i++) {
    let ok = true;
    for (let j = 0; j < sub.length; j++) {
      if (!equals(v[i + j], sub[j])) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(i);
  }
  return out;
}

function sliceBounds(len: number, from: unknown, to: unknown, what: string): [number, number] {
  let start = 0;
  let end = len;
  if (from !== null && from !== undefined) {
    if (typeof from !== 'number') throw fail(`expected a number for indexing ${what} but got: ` + typeErrorPreview(from));
    start = clampIndex(Math.trunc(from), 0, len);
  }
  if (to !== null && to !== undefined) {
    if (typeof to !== 'number') throw fail(`expected a number for indexing ${what} but got: ` + typeErrorPreview(to));
    end = clampIndex(Math.ceil(to), start, len);
  }
  return [start, end < start ? start : end];
}

export function sliceValue(v: unknown, from: unknown, to: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) {
    const [s, e] = sliceBounds(v.length, from, to, 'an array');
    return v.slice(s, e);
  }
  if (typeof v === 'string') {
    const cps = Array.from(v);
    const [s, e] = sliceBounds(cps.length, from, to, 'a string');
    return cps.slice(s, e).join('');
  }
  throw fail('expected an array but got: ' + typeErrorPreview(v));
}

export function getPath(v: unknown, path: unknown): unknown {
  if (!Array.isArray(path)) throw fail('getpath cannot be applied to: ' + typeErrorPreview(path));
  let cur = v;
  for (const k of path) {
    if (cur === null || cur === undefined) return null;
    cur = indexValue(cur, k);
  }
  return cur;
}

export function setPath(v: unknown, path: unknown, value: unknown): unknown {
  if (!Array.isArray(path)) throw fail('setpath cannot be applied to: ' + typeErrorPreview(path));
  return setAt(v, path, 0, value);
}

function setAt(v: unknown, path: unknown[], i: number, value: unknown): unknown {
  if (i === path.length) return value;
  const k = path[i];
  if (typeof k === 'string') {
    if (v === null || v === undefined) return { [k]: setAt(null, path, i + 1, value) };
    if (!isObject(v)) throw fail('expected an object but got: ' + typeErrorPreview(v));
    const copy: JsonObject = { ...v };
    copy[k] = setAt(getField(v, k), path, i + 1, value);
    return copy;
  }
  if (typeof k === 'number') {
    if (v === null || v === undefined) v = [];
    if (!Array.isArray(v)) throw fail('expected an array but got: ' + typeErrorPreview(v));
    let idx = toInt(k);
    if (idx < 0) {
      idx += v.length;
      if (idx < 0) throw fail('array index should not be negative: ' + String(toInt(k)));
    }
    if (idx > 0x7ffffff) throw fail('array index too large: ' + String(idx));
    const copy = v.slice();
    while (copy.length < idx) copy.push(null);
    copy[idx] = setAt(idx < v.length ? v[idx] : null, path, i + 1, value);
    return copy;
  }
  if (isObject(k)) {
    if (v === null || v === undefined) v = [];
    if (!Array.isArray(v)) throw fail('expected an array but got: ' + typeErrorPreview(v));
    const [s, e] = sliceBounds(v.length, k['start'], k['end'], 'an array');
    const replaced = setAt(v.slice(s, e), path, i + 1, value);
    if (!Array.isArray(replaced)) throw fail('expected an array but got: ' + typeErrorPreview(replaced));
    return [...v.slice(0, s), ...replaced, ...v.slice(e)];
  }
  if (Array.isArray(v)) throw fail('expected a number for indexing an array but got: ' + typeErrorPreview(k));
  throw fail('expected a string for object key but got: ' + typeErrorPreview(k));
}

export function delPaths(v: unknown, paths: unknown): unknown {
  if (!Array.isArray(paths)) throw fail('delpaths cannot be applied to: ' + typeErrorPreview(paths));
  // delete the longest/rightmost paths first so earlier deletions do not shift later ones
  const sorted = paths.slice().sort((a, b) => compare(b, a));
  let out = v;
  for (const p of sorted) {
    if (!Array.isArray(p)) throw fail('delpaths cannot be applied to: ' + typeErrorPreview(p));
    out = deleteAt(out, p, 0);
  }
  return out;
}

function deleteAt(v: unknown, path: unknown[], i: number): unknown {
  if (v === null || v === undefined) return null;
  if (i === path.length) return null;
  const k = path[i];
  const last = i === path.length - 1;
  if (typeof k === 'string') {
    if (!isObject(v)) throw fail('expected an object but got: ' + typeErrorPreview(v));
    if (!hasOwn.call(v, k)) return v;
    const copy: JsonObject = { ...v };
    if (last) delete copy[k];
    else copy[k] = deleteAt(v[k], path, i + 1);
    return copy;
  }
  if (typeof k === 'number') {
    if (!Array.isArray(v)) throw fail('expected an array but got: ' + typeErrorPreview(v));
    let idx = toInt(k);
    if (idx < 0) idx += v.length;
    if (idx < 0 || idx >= v.length) return v;
    const copy = v.slice();
    if (last) copy.splice(idx, 1);
    else copy[idx] = deleteAt(v[idx], path, i + 1);
    return copy;
  }
  if (isObject(k)) {
    if (!Array.isArray(v)) throw fail('expected an array but got: ' + typeErrorPreview(v));
    const [s, e] = sliceBounds(v.length, k['start'], k['end'], 'an array');
    if (last) return [...v.slice(0, s), ...v.slice(e)];
    const inner = deleteAt(v.slice(s, e), path, i + 1);
    return [...v.slice(0, s), ...(inner as unknown[]), ...v.slice(e)];
  }
  throw fail('expected a string for object key but got: ' + typeErrorPreview(k));
}
