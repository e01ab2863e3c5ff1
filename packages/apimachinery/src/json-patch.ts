// RFC 6902 JSON Patch with the behaviour (and error texts) of gopkg.in/evanphx/json-patch.v4,
// the library kube-apiserver applies application/json-patch+json with.
//
// The result is a new document; the input is never mutated. Untouched subtrees are shared with
// the input (copy-on-write along each patched path), except the root and `metadata`, which are
// always fresh so the caller can stamp them.
import { PatchError } from './errors.ts';
import { deepClone, deepEqual, freshRootAndMetadata, isObject } from './json.ts';
import type { JsonObject } from './json.ts';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test' | string;
  path?: string;
  from?: string;
  value?: unknown;
}

/** kube-apiserver's cap on operations in one JSON patch (answered 413). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/**
 * Checks a decoded request body is a JSON patch (array of objects); 400 otherwise, 413 when too long.
 * `null` is the empty patch: Go's json.Unmarshal leaves a slice nil on `null` without an error, so
 * jsonpatch.DecodePatch accepts it (virt-api's mutating webhook answers `null` when it has nothing
 * to change, and kube-apiserver takes that as no change).
 */
export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (body === null) return [];
  if (!Array.isArray(body)) {
    const t = isObject(body) ? 'object' : body === null ? 'null' : typeof body === 'string' ? 'string' : typeof body;
    throw new PatchError(`json: cannot unmarshal ${t} into Go value of type jsonpatch.Patch`, 400);
  }
  for (const op of body) {
    if (!isObject(op)) throw new PatchError('json: cannot unmarshal array element into Go value of type jsonpatch.Operation', 400);
  }
  if (body.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${body.length}`, 413);
  }
  return body as JsonPatchOperation[];
}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';
const TEST_FAILED = 'test failed';

function decodeToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

type Container = JsonObject | unknown[];

/**
 * Walks to the parent container of `path`, copying every container on the way (copy-on-write)
 * when `write` is set. Returns undefined when the path does not resolve (evanphx's findObject).
 */
function findParent(root: { doc: unknown }, path: string, write: boolean): { con: Container; key: string } | undefined {
  const parts = path.split('/');
  if (parts.length < 2) return undefined;
  let holder: Container = root as unknown as JsonObject;
  let holderKey: string | number = 'doc';
  let cur: unknown = root.doc;
  for (let i = 1; i < parts.length - 1; i++) {
    if (write) {
      const copy = Array.isArray(cur) ? cur.slice() : isObject(cur) ? { ...cur } : cur;
      (holder as JsonObject)[holderKey as string] = copy;
      cur = copy;
    }
    const tok = decodeToken(parts[i]!);
    if (Array.isArray(cur)) {
      if (!/^-?\d+$/.test(tok)) return undefined;
      let idx = Number(tok);
      if (idx < 0) idx += cur.length;
      if (idx < 0 || idx >= cur.length) return undefined;
      holder = cur;
      holderKey = idx;
      cur = cur[idx];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, tok)) return undefined;
      holder = cur;
      holderKey = tok;
      cur = cur[tok];
    } else {
      return undefined;
    }
  }
  if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  if (write) {
    const copy = Array.isArray(cur) ? cur.slice() : { ...cur };
    (holder as JsonObject)[holderKey as string] = copy;
    cur = copy;
  }
  return { con: cur as Container, key: decodeToken(parts[parts.length - 1]!) };
}

function arrayIndex(key: string, len: number, forAdd: boolean): number {
  if (forAdd && key === '-') return len;
  if (!/^-?\d+$/.test(key)) {
    throw new Error(`value was not a proper array index: '${key}': strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  }
  let idx = Number(key);
  const size = forAdd ? len + 1 : len;
  if (idx >= size || idx < -size) throw new Error(`Unable to access invalid index: ${key}: ${INVALID_INDEX}`);
  if (idx < 0) idx += size;
  return idx;
}

function conGet(con: Container, key: string): unknown {
  if (Array.isArray(con)) return con[arrayIndex(key, con.length, false)];
  return Object.hasOwn(con, key) ? con[key] : undefined;
}
function conAdd(con: Container, key: string, val: unknown): void {
  if (Array.isArray(con)) con.splice(arrayIndex(key, con.length, true), 0, val);
  else con[key] = val;
}
function conSet(con: Container, key: string, val: unknown): void {
  if (Array.isArray(con)) con[arrayIndex(key, con.length, false)] = val;
  else con[key] = val;
}
function conRemove(con: Container, key: string): void {
  if (Array.isArray(con)) con.splice(arrayIndex(key, con.length, false), 1);
  else {
    if (!Object.hasOwn(con, key)) throw new Error(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete con[key];
  }
}

function wrap(fn: () => void, prefix: string): void {
  try {
    fn();
  } catch (e) {
    throw new PatchError(`${prefix}: ${(e as Error).message}`, 422);
  }
}

function requirePath(op: JsonPatchOperation, what: 'path' | 'from' = 'path'): string {
  const p = op[what];
  if (typeof p !== 'string') throw new PatchError(`${op.op} operation failed to decode ${what}: ${MISSING}`, 422);
  return p;
}

/**
 * Applies `ops` to `doc` and returns the new document. Throws PatchError (422) with
 * evanphx/json-patch's message when an operation does not apply.
 */
export function applyJsonPatch<T = JsonObject>(doc: T, ops: readonly JsonPatchOperation[]): T {
  const root = { doc: doc as unknown };
  for (const op of ops) {
    switch (op.op) {
      case 'add': {
        const path = requirePath(op);
        const f = findParent(root, path, true);
        if (!f) throw new PatchError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`, 422);
        wrap(() => conAdd(f.con, f.key, deepClone(op.value ?? null)), `error in add for path: '${path}'`);
        break;
      }
      case 'remove': {
        const path = requirePath(op);
        const f = findParent(root, path, true);
        if (!f) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`, 422);
        wrap(() => conRemove(f.con, f.key), `error in remove for path: '${path}'`);
        break;
      }
      case 'replace': {
        const path = requirePath(op);
        const f = findParent(root, path, true);
        if (!f) throw new PatchError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`, 422);
        try {
          conGet(f.con, f.key);
        } catch {
          throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`, 422);
        }
        // json-patch v4 (kube-apiserver) lets replace create a missing object key.
        wrap(() => conSet(f.con, f.key, deepClone(op.value ?? null)), `error in remove for path: '${path}'`);
        break;
      }
      case 'move': {
        const from = requirePath(op, 'from');
        const src = findParent(root, from, true);
        if (!src) throw new PatchError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`, 422);
        let val: unknown;
        wrap(() => {
          val = conGet(src.con, src.key);
          conRemove(src.con, src.key);
        }, `error in move for path: '${src.key}'`);
        const path = requirePath(op);
        const dst = findParent(root, path, true);
        if (!dst) throw new PatchError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`, 422);
        wrap(() => conAdd(dst.con, dst.key, val ?? null), `error in move for path: '${path}'`);
        break;
      }
      case 'copy': {
        const from = requirePath(op, 'from');
        const src = findParent(root, from, false);
        if (!src) throw new PatchError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`, 422);
        let val: unknown;
        wrap(() => {
          val = conGet(src.con, src.key);
        }, `error in copy for from: '${from}'`);
        const path = requirePath(op);
        const dst = findParent(root, path, true);
        if (!dst) throw new PatchError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`, 422);
        wrap(() => conAdd(dst.con, dst.key, deepClone(val ?? null)), 'error while adding value during copy');
        break;
      }
      case 'test': {
        const path = requirePath(op);
        const f = findParent(root, path, false);
        if (!f) throw new PatchError(`test operation does not apply: is missing path: ${path}: ${MISSING}`, 422);
        let val: unknown;
        wrap(() => {
          val = conGet(f.con, f.key);
        }, `error in test for path: '${path}'`);
        const want = op.value === undefined ? null : op.value;
        // v4 quirk kept: a missing key tests equal to null.
        const have = val === undefined ? null : val;
        if (!deepEqual(have, want)) throw new PatchError(`testing value ${path} failed: ${TEST_FAILED}`, 422);
        break;
      }
      default:
        // json-patch reports an op without a string `op` as kind "unknown".
        throw new PatchError(`Unexpected kind: ${typeof op.op === 'string' ? op.op : 'unknown'}`, 422);
    }
  }
  const out = root.doc;
  return (isObject(out) ? freshRootAndMetadata(out, doc) : out) as T;
}
