// OpenAPI validation of a pruned, defaulted custom resource, errors worded as kube-openapi's;
// field paths are only built when an error is reported.
import type { FieldError } from './errors.ts';
import { fieldErrors, goFloat } from './errors.ts';
import { deepEqual, isObject, jsonTypeOf } from './json.ts';
import type { JsonObject } from './json.ts';
import type { Node } from './schema-node.ts';

const FORMAT_CHECKS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  datetime: (s) => FORMAT_CHECKS['date-time']!(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  duration: (s) => /^(-?\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w)\s*)+$/.test(s) || /^0$/.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  ipv6: (s) => /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':'),
  cidr: (s) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s),
  mac: (s) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s),
  hostname: (s) => s.length <= 255 && /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s),
};

const numText = (n: number): string => (Number.isInteger(n) && Math.abs(n) < 1e21 ? String(n) : goFloat(n));

/** Mutable path stack of raw keys and indexes; a path string is only built when an error is reported. */
export class PathStack {
  readonly parts: Array<string | number> = [];
  push(key: string): void {
    this.parts.push(key);
  }
  pushIndex(i: number): void {
    this.parts.push(i);
  }
  pop(): void {
    this.parts.pop();
  }
  toString(): string {
    let s = '';
    for (const p of this.parts) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
    return s;
  }
}

/** Length in code points, as Go's utf8.RuneCountInString (kube-openapi counts runes). */
function runeLength(v: string): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
    else {
      n++;
      i++;
    }
  }
  return n;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return true;
  }
}

function listKeyOf(el: unknown, keys: string[]): string {
  if (!isObject(el)) return JSON.stringify(el);
  return JSON.stringify(keys.map((k) => el[k] ?? null));
}

export function validateValue(v: unknown, node: Node, path: PathStack, errs: FieldError[], isRoot: boolean): void {
  if (v === null || v === undefined) {
    if (node.type && !node.nullable) {
      const p = path.toString();
      errs.push(fieldErrors.typeInvalid(p, 'null', `${p} in body must be of type ${node.type}: "null"`));
    }
    return;
  }
  if (node.intOrString) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must validate at least one schema (anyOf)`));
      errs.push(fieldErrors.typeInvalid(p, jsonTypeOf(v), `${p} in body must be of type integer: "${jsonTypeOf(v)}"`));
      return;
    }
  } else if (node.type && !typeMatches(node.type, v)) {
    const p = path.toString();
    const t = jsonTypeOf(v);
    errs.push(fieldErrors.typeInvalid(p, t, `${p} in body must be of type ${node.type}: "${t}"`));
    return;
  }

  if (node.enumValues && !node.enumValues.some((e) => deepEqual(e, v))) {
    errs.push(
      fieldErrors.notSupported(
        path.toString(),
        v,
        node.enumValues.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }

  if (typeof v === 'string') validateString(v, node, path, errs);
  else if (typeof v === 'number') validateNumber(v, node, path, errs);
  else if (Array.isArray(v)) validateArray(v, node, path, errs);
  else if (isObject(v)) validateObject(v, node, path, errs, isRoot);

  if (node.rules) {
    for (const r of node.rules) {
      if (r.compiled.check(v)) continue;
      const p = path.toString() + r.fieldPath;
      const typeName = node.type || jsonTypeOf(v);
      if (r.reason === 'FieldValueForbidden') errs.push(fieldErrors.forbidden(p, r.message));
      else if (r.reason === 'FieldValueRequired') errs.push(fieldErrors.required(p, r.message));
      else if (r.reason === 'FieldValueDuplicate') errs.push(fieldErrors.duplicate(p, typeName));
      else errs.push(fieldErrors.invalid(p, typeName, r.message));
    }
  }
  if (node.allOf) for (const s of node.allOf) validateValue(v, s, path, errs, false);
  if (node.anyOf) {
    let firstErrs: FieldError[] | undefined;
    let ok = false;
    for (const s of node.anyOf) {
      const e: FieldError[] = [];
      validateValue(v, s, path, e, false);
      if (e.length === 0) {
        ok = true;
        break;
      }
      firstErrs ??= e;
    }
    if (!ok) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must validate at least one schema (anyOf)`));
      if (firstErrs) errs.push(...firstErrs);
    }
  }
  if (node.oneOf) {
    let valid = 0;
    for (const s of node.oneOf) {
      const e: FieldError[] = [];
      validateValue(v, s, path, e, false);
      if (e.length === 0) valid++;
    }
    if (valid !== 1) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must validate one and only one schema (oneOf). Found ${valid} valid alternatives`));
    }
  }
  if (node.not) {
    const e: FieldError[] = [];
    validateValue(v, node.not, path, e, false);
    if (e.length === 0) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must not validate the schema (not)`));
    }
  }
}

function validateString(v: string, node: Node, path: PathStack, errs: FieldError[]): void {
  // UTF-16 length bounds the rune count from above, so runes are only counted when it matters.
  if (node.maxLength !== undefined && v.length > node.maxLength && runeLength(v) > node.maxLength) {
    errs.push(fieldErrors.tooLongMaxLength(path.toString(), v, node.maxLength));
  }
  if (node.minLength !== undefined && (v.length < node.minLength || runeLength(v) < node.minLength)) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, v, `${p} in body should be at least ${node.minLength} chars long`));
  }
  if (node.pattern && !node.pattern.test(v)) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, v, `${p} in body should match '${node.patternSource}'`));
  }
  if (node.format) {
    const check = FORMAT_CHECKS[node.format];
    if (check && !check(v)) {
      const p = path.toString();
      errs.push(fieldErrors.typeInvalid(p, v, `${p} in body must be of type ${node.format}: ${JSON.stringify(v)}`));
    }
  }
}

function validateNumber(v: number, node: Node, path: PathStack, errs: FieldError[]): void {
  if (node.multipleOf !== undefined && node.multipleOf > 0) {
    const q = v / node.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, v, `${p} in body should be a multiple of ${numText(node.multipleOf)}`));
    }
  }
  if (node.maximum !== undefined && (node.exclusiveMaximum ? v >= node.maximum : v > node.maximum)) {
    const p = path.toString();
    errs.push(
      fieldErrors.invalid(p, v, `${p} in body should be less than ${node.exclusiveMaximum ? '' : 'or equal to '}${numText(node.maximum)}`),
    );
  }
  if (node.minimum !== undefined && (node.exclusiveMinimum ? v <= node.minimum : v < node.minimum)) {
    const p = path.toString();
    errs.push(
      fieldErrors.invalid(p, v, `${p} in body should be greater than ${node.exclusiveMinimum ? '' : 'or equal to '}${numText(node.minimum)}`),
    );
  }
}

function validateArray(v: unknown[], node: Node, path: PathStack, errs: FieldError[]): void {
  if (node.maxItems !== undefined && v.length > node.maxItems) errs.push(fieldErrors.tooMany(path.toString(), v.length, node.maxItems));
  if (node.minItems !== undefined && v.length < node.minItems) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, v.length, `${p} in body should have at least ${node.minItems} items`));
  }
  if (node.uniqueItems) {
    for (let i = 0; i < v.length; i++) {
      if (v.slice(0, i).some((x) => deepEqual(x, v[i]))) {
        const p = path.toString();
        errs.push(fieldErrors.invalid(p, '', `${p} in body shouldn't contain duplicates`));
        break;
      }
    }
  }
  if (node.items) {
    for (let i = 0; i < v.length; i++) {
      path.pushIndex(i);
      validateValue(v[i], node.items, path, errs, false);
      path.pop();
    }
  }
  // x-kubernetes-list-type uniqueness (apiextensions' listtype validation).
  if (node.listType === 'set' && v.length > 1) {
    const seen = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const k = JSON.stringify(v[i]);
      if (seen.has(k)) {
        path.pushIndex(i);
        errs.push(fieldErrors.duplicate(path.toString(), v[i]));
        path.pop();
      }
      seen.add(k);
    }
  } else if (node.listType === 'map' && node.listMapKeys && v.length > 1) {
    const seen = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const k = listKeyOf(v[i], node.listMapKeys);
      if (seen.has(k)) {
        const el = v[i];
        const keyObj: JsonObject = {};
        if (isObject(el)) for (const mk of node.listMapKeys) if (el[mk] !== undefined) keyObj[mk] = el[mk];
        path.pushIndex(i);
        errs.push(fieldErrors.duplicate(path.toString(), keyObj));
        path.pop();
      }
      seen.add(k);
    }
  }
}

function validateObject(v: JsonObject, node: Node, path: PathStack, errs: FieldError[], isRoot: boolean): void {
  const embeddedOrRoot = isRoot || node.embedded;
  if (node.required) {
    for (const r of node.required) {
      if (v[r] === undefined) {
        path.push(r);
        errs.push(fieldErrors.required(path.toString()));
        path.pop();
      }
    }
  }
  if (node.embedded) {
    for (const k of ['apiVersion', 'kind']) {
      if (typeof v[k] !== 'string' || v[k] === '') {
        path.push(k);
        errs.push(fieldErrors.required(path.toString(), 'must not be empty'));
        path.pop();
      }
    }
  }
  const count = node.minProperties !== undefined || node.maxProperties !== undefined ? Object.keys(v).length : 0;
  if (node.maxProperties !== undefined && count > node.maxProperties) errs.push(fieldErrors.tooMany(path.toString(), count, node.maxProperties));
  if (node.minProperties !== undefined && count < node.minProperties) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, node.minProperties, `${p} in body should have at least ${node.minProperties} properties`));
  }
  for (const k in v) {
    // ObjectMeta and type meta are validated by the server itself, not by the CRD schema.
    if (embeddedOrRoot && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
    if (v[k] === undefined) continue;
    const c = node.properties?.get(k);
    if (c) {
      path.push(k);
      validateValue(v[k], c, path, errs, false);
      path.pop();
    } else if (node.additional !== undefined && node.additional !== true) {
      path.push(k);
      validateValue(v[k], node.additional, path, errs, false);
      path.pop();
    } else if (node.additionalForbidden) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p ? `${p}.${k}` : k, k, `${p ? `${p}.${k}` : k} in body is a forbidden property`));
    }
  }
}
