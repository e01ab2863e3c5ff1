// jq's value model over plain JSON values: type names, total ordering, equality, and the
// jq-flavoured JSON encoding (sorted keys, NaN as null, infinities clamped) that gojq uses for
// tojson/tostring and for previews in error messages.

export type JsonObject = { [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return Array.isArray(v) ? 'array' : 'object';
  }
}

function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'boolean':
      return v ? 2 : 1;
    case 'number':
      return 3;
    case 'string':
      return 4;
    default:
      return Array.isArray(v) ? 5 : 6;
  }
}

/**
 * `o[k] = v` as an own data property, also for the key "__proto__" (which plain assignment would
 * take as the prototype): object keys are data from the cluster.
 */
export function setOwn(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

export function truthy(v: unknown): boolean {
  return !(v === null || v === undefined || v === false);
}

/** Object keys in jq's (and gojq's) order: sorted by code point. */
export function sortedKeys(o: JsonObject): string[] {
  return Object.keys(o).sort(compareStrings);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** jq's total order: null < false < true < numbers < strings < arrays < objects. */
export function compare(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 3: {
      const x = a as number;
      const y = b as number;
      // gojq: NaN sorts below every number (and below itself)
      return x < y || Number.isNaN(x) ? -1 : x === y ? 0 : 1;
    }
    case 4:
      return compareStrings(a as string, b as string);
    case 5: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    case 6: {
      const x = a as JsonObject;
      const y = b as JsonObject;
      const kx = sortedKeys(x);
      const ky = sortedKeys(y);
      const c = compare(kx, ky);
      if (c !== 0) return c;
      for (const k of kx) {
        const d = compare(x[k], y[k]);
        if (d !== 0) return d;
      }
      return 0;
    }
    default:
      return 0;
  }
}

export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // undefined and null are both jq's null
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  return compare(a, b) === 0;
}

export function encodeNumber(n: number): string {
  if (Number.isNaN(n)) return 'null';
  if (n === Infinity) return '1.7976931348623157e+308';
  if (n === -Infinity) return '-1.7976931348623157e+308';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

const HEX = '0123456789abcdef';

export function encodeString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    if (c > 0x7f) {
      // lone surrogates cannot be UTF-8: encode them as U+FFFD like Go's encoder
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      if (c < 0xd800 || c > 0xdfff) continue;
      out += s.slice(start, i) + '\\ufffd';
      start = i + 1;
      continue;
    }
    out += s.slice(start, i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out += '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    }
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** gojq's Marshal: compact JSON, object keys sorted. */
export function toJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return encodeNumber(v);
    case 'string':
      return encodeString(v);
    case 'object': {
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + toJson(v[i]);
        return out + ']';
      }
      const o = v as JsonObject;
      let out = '{';
      let first = true;
      for (const k of sortedKeys(o)) {
        out += (first ? '' : ',') + encodeString(k) + ':' + toJson(o[k]);
        first = false;
      }
      return out + '}';
    }
    default:
      return 'null';
  }
}

/** gojq's Preview: the encoding truncated to 30 characters with a type-specific ellipsis. */
export function preview(v: unknown): string {
  const s = toJson(v);
  if (s.length <= 30) return s;
  const trailing = typeof v === 'string' ? ' ..."' : Array.isArray(v) ? ' ...]' : isObject(v) ? ' ...}' : ' ...';
  return s.slice(0, 30 - trailing.length) + trailing;
}

/** "null" for null, else `type (preview)`, as in gojq's error messages. */
export function typeErrorPreview(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  return `${typeOf(v)} (${preview(v)})`;
}

/** jq's `tostring`: strings unchanged, everything else encoded. */
export function toStringValue(v: unknown): string {
  return typeof v === 'string' ? v : toJson(v);
}
