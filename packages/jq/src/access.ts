// Indexing, slicing and path updates over plain JSON values with gojq's rules and error wording.
import { JqRuntimeError } from './errors.ts';
import { compare, equals, isObject, setOwn, typeErrorPreview, type JsonObject } from './values.ts';

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
export function indicesOf(v: unknown[], sub: unknown[]): number[] {
  if (sub.length === 0) return [];
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

/**
 * `setpath`. `owned` holds containers this update already copied: they are not visible to anyone
 * yet, so later steps of the same update (`.[] |= f` over many paths) change them in place
 * instead of copying the whole array again.
 */
export function setPath(v: unknown, path: unknown, value: unknown, owned?: WeakSet<object>): unknown {
  if (!Array.isArray(path)) throw fail('setpath cannot be applied to: ' + typeErrorPreview(path));
  return setAt(v, path, 0, value, owned);
}

function setAt(v: unknown, path: unknown[], i: number, value: unknown, owned: WeakSet<object> | undefined): unknown {
  if (i === path.length) return value;
  const k = path[i];
  if (typeof k === 'string') {
    if (v === null || v === undefined) {
      const o: JsonObject = {};
      setOwn(o, k, setAt(null, path, i + 1, value, owned));
      owned?.add(o);
      return o;
    }
    if (!isObject(v)) throw fail('expected an object but got: ' + typeErrorPreview(v));
    const target: JsonObject = owned?.has(v) ? v : { ...v };
    owned?.add(target);
    setOwn(target, k, setAt(getField(v, k), path, i + 1, value, owned));
    return target;
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
    const target: unknown[] = owned?.has(v) ? v : v.slice();
    owned?.add(target);
    const old = idx < target.length ? target[idx] : null;
    while (target.length < idx) target.push(null);
    target[idx] = setAt(old, path, i + 1, value, owned);
    return target;
  }
  if (isObject(k)) {
    if (v === null || v === undefined) v = [];
    if (!Array.isArray(v)) throw fail('expected an array but got: ' + typeErrorPreview(v));
    const [s, e] = sliceBounds(v.length, k['start'], k['end'], 'an array');
    const replaced = setAt(v.slice(s, e), path, i + 1, value, owned);
    if (!Array.isArray(replaced)) throw fail('expected an array but got: ' + typeErrorPreview(replaced));
    const target: unknown[] = owned?.has(v) ? v : v.slice();
    owned?.add(target);
    target.splice(s, e - s, ...replaced);
    return target;
  }
  if (Array.isArray(v)) throw fail('expected a number for indexing an array but got: ' + typeErrorPreview(k));
  throw fail('expected a string for object key but got: ' + typeErrorPreview(k));
}

export function delPaths(v: unknown, paths: unknown): unknown {
  if (!Array.isArray(paths)) throw fail('delpaths cannot be applied to: ' + typeErrorPreview(paths));
  for (const p of paths) if (!Array.isArray(p)) throw fail('delpaths cannot be applied to: ' + typeErrorPreview(p));
  const ps = paths as unknown[][];
  if (ps.every(isPlainPath)) return deleteGrouped(v, ps, 0);
  // slices in the middle of a path: delete one path at a time, longest/rightmost first so earlier
  // deletions do not shift later ones
  const sorted = ps.slice().sort((a, b) => compare(b, a));
  let out = v;
  for (const p of sorted) out = deleteAt(out, p, 0);
  return out;
}

function isPlainPath(p: unknown[]): boolean {
  for (let i = 0; i < p.length; i++) {
    const k = p[i];
    if (typeof k !== 'string' && typeof k !== 'number' && !(isObject(k) && i === p.length - 1)) return false;
  }
  return true;
}

/** Deletes all `paths` (each from depth `d`) with one copy per container. */
function deleteGrouped(v: unknown, paths: unknown[][], d: number): unknown {
  if (paths.some((p) => p.length === d)) return null;
  if (v === null || v === undefined) return null;
  if (isObject(v)) {
    const groups = new Map<string, unknown[][]>();
    for (const p of paths) {
      const k = p[d];
      if (typeof k !== 'string') throw fail('expected an object but got: ' + typeErrorPreview(v));
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = []));
      g.push(p);
    }
    const out: JsonObject = { ...v };
    for (const [k, g] of groups) {
      if (!hasOwn.call(v, k)) continue;
      if (g.some((p) => p.length === d + 1)) delete out[k];
      else setOwn(out, k, deleteGrouped(v[k], g, d + 1));
    }
    return out;
  }
  if (Array.isArray(v)) {
    const remove = new Set<number>();
    const deeper = new Map<number, unknown[][]>();
    for (const p of paths) {
      const k = p[d];
      if (isObject(k)) {
        const [s, e] = sliceBounds(v.length, k['start'], k['end'], 'an array');
        for (let i = s; i < e; i++) remove.add(i);
        continue;
      }
      if (typeof k !== 'number') throw fail('expected an array but got: ' + typeErrorPreview(v));
      let idx = toInt(k);
      if (idx < 0) idx += v.length;
      if (idx < 0 || idx >= v.length) continue;
      if (p.length === d + 1) remove.add(idx);
      else {
        let g = deeper.get(idx);
        if (g === undefined) deeper.set(idx, (g = []));
        g.push(p);
      }
    }
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      if (remove.has(i)) continue;
      const g = deeper.get(i);
      out.push(g === undefined ? v[i] : deleteGrouped(v[i], g, d + 1));
    }
    return out;
  }
  const k = paths[0]![d];
  if (typeof k === 'string') throw fail('expected an object but got: ' + typeErrorPreview(v));
  throw fail('expected an array but got: ' + typeErrorPreview(v));
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
    else setOwn(copy, k, deleteAt(v[k], path, i + 1));
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
