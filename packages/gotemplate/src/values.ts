// How Go values are represented in JavaScript while a template runs.
//
// KWOK executes templates over the object encoded to JSON and decoded with
// `decoder.UseNumber()`, so the data holds only: map[string]interface{},
// []interface{}, string, bool, nil and json.Number (a string type). Values made
// by the template itself add Go ints (number literals, len, range indexes,
// sprig arithmetic), float64 (float literals, sprig *f functions) and time.Time.
//
//   Go                         JavaScript
//   invalid reflect.Value      undefined   ("<no value>" when printed)
//   nil interface{}            null
//   bool / string              boolean / string
//   json.Number                number      (string kind: compares as its text, always truthy)
//   int / int64                bigint
//   float64                    GoFloat
//   time.Time                  GoTime
//   []interface{}              Array
//   map[string]interface{}     plain object (keys iterate sorted, as Go does)

/** A Go float64 (a JS number is json.Number, so floats need their own box). */
export class GoFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** A Go int64 (sprig's arithmetic results): distinct from int (a bare bigint) as Go's types are. */
export class GoInt64 {
  readonly value: bigint;
  constructor(value: bigint) {
    this.value = BigInt.asIntN(64, value);
  }
}

/** The integer inside an int or int64. */
export function intValue(v: bigint | GoInt64): bigint {
  return typeof v === 'bigint' ? v : v.value;
}

export function isGoInt(v: unknown): v is bigint | GoInt64 {
  return typeof v === 'bigint' || v instanceof GoInt64;
}

/** A Go time.Time: an instant plus the zone it is shown in. */
export class GoTime {
  readonly ms: number;
  /** Offset east of UTC in minutes, and the zone's abbreviation. */
  readonly offsetMin: number;
  readonly zone: string;
  constructor(ms: number, offsetMin = 0, zone = 'UTC') {
    this.ms = ms;
    this.offsetMin = offsetMin;
    this.zone = zone;
  }
}

export type GoKind =
  | 'invalid' | 'bool' | 'int' | 'int64' | 'float64' | 'string' | 'slice' | 'map' | 'func' | 'struct';

export function isMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** reflect.Kind of a value (json.Number and strings are both 'string'). */
export function kindOf(v: unknown): GoKind {
  switch (typeof v) {
    case 'undefined': return 'invalid';
    case 'boolean': return 'bool';
    case 'string': case 'number': return 'string';
    case 'bigint': return 'int';
    case 'function': return 'func';
    case 'object':
      if (v === null) return 'invalid';
      if (Array.isArray(v)) return 'slice';
      if (v instanceof GoFloat) return 'float64';
      if (v instanceof GoInt64) return 'int64';
      if (v instanceof GoTime) return 'struct';
      return 'map';
  }
  return 'invalid';
}

/** Go's %T of a value. */
export function typeName(v: unknown): string {
  switch (typeof v) {
    case 'undefined': return '<nil>';
    case 'boolean': return 'bool';
    case 'string': return 'string';
    case 'number': return 'json.Number';
    case 'bigint': return 'int';
    case 'function': return 'func(...interface {}) interface {}';
    case 'object':
      if (v === null) return '<nil>';
      if (Array.isArray(v)) return '[]interface {}';
      if (v instanceof GoFloat) return 'float64';
      if (v instanceof GoInt64) return 'int64';
      if (v instanceof GoTime) return 'time.Time';
      if (v instanceof Uint8Array) return '[]uint8';
      return 'map[string]interface {}';
  }
  return 'interface {}';
}

/** Go's template truth: the value is not the zero value of its type. */
export function isTrue(v: unknown): boolean {
  switch (typeof v) {
    case 'undefined': return false;
    case 'boolean': return v;
    case 'string': return v.length > 0;
    case 'number': return true; // json.Number is a non-empty string
    case 'bigint': return v !== 0n;
    case 'function': return true;
    case 'object':
      if (v === null) return false;
      if (Array.isArray(v)) return v.length > 0;
      if (v instanceof GoFloat) return v.value !== 0;
      if (v instanceof GoInt64) return v.value !== 0n;
      if (v instanceof GoTime) return true;
      for (const _ in v) return true;
      return false;
  }
  return false;
}

/** Keys of a map in Go's printing and range order. */
export function sortedKeys(m: Record<string, unknown>): string[] {
  const keys = Object.keys(m);
  if (keys.length > 1) keys.sort(compareGoStrings);
  return keys;
}

/** Go compares strings bytewise (UTF-8); UTF-16 order differs only around surrogates. */
export function compareGoStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strconv.FormatFloat(f, 'g', -1, 64), the %v of a float64. */
export function formatFloatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // Shortest round-trip digits (same as Go's), then %g's rule for the
  // shortest precision: exponent form when exp < -4 || exp >= 6.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(f.toExponential())!;
  const digits = m[2] + (m[3] ?? '');
  const e = Number(m[4]);
  const eprec = 6;
  if (e < -4 || e >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(e);
    return `${m[1]}${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  return String(f);
}

/** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
export function formatTimeDefault(t: GoTime): string {
  const d = new Date(t.ms + t.offsetMin * 60_000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  let frac = '';
  const ms = d.getUTCMilliseconds();
  if (ms) frac = '.' + String(ms).padStart(3, '0').replace(/0+$/, '');
  const off = t.offsetMin;
  const sign = off < 0 ? '-' : '+';
  const ao = Math.abs(off);
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${frac} ${sign}${p2(Math.floor(ao / 60))}${p2(ao % 60)} ${t.zone}`;
}

/** fmt's %v of a value nested anywhere (nil prints as <nil>). */
export function formatV(v: unknown): string {
  switch (typeof v) {
    case 'string': return v;
    case 'number': return jsonNumberText(v);
    case 'bigint': return v.toString();
    case 'boolean': return v ? 'true' : 'false';
    case 'undefined': return '<nil>';
    case 'function': return '0x1';
    case 'object': {
      if (v === null) return '<nil>';
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) s += (i ? ' ' : '') + formatV(v[i]);
        return s + ']';
      }
      if (v instanceof GoFloat) return formatFloatG(v.value);
      if (v instanceof GoInt64) return v.value.toString();
      if (v instanceof GoTime) return formatTimeDefault(v);
      if (v instanceof Uint8Array) return '[' + Array.from(v).join(' ') + ']';
      const m = v as Record<string, unknown>;
      let s = 'map[';
      let first = true;
      for (const k of sortedKeys(m)) {
        s += (first ? '' : ' ') + k + ':' + formatV(m[k]);
        first = false;
      }
      return s + ']';
    }
  }
  return String(v);
}

/** The text a json.Number holds: the number as Go's encoder wrote it (same rules as JS). */
export function jsonNumberText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/** Convert template-made Go numbers to plain JS numbers for functions that know no Go types. */
export function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoFloat) return v.value;
  if (v instanceof GoInt64) return Number(v.value);
  if (v instanceof GoTime) return new Date(v.ms);
  if (Array.isArray(v) && builtContainers.has(v)) return v.map(toPlain);
  if (isMap(v) && builtContainers.has(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toPlain(v[k]);
    return out;
  }
  return v;
}

/** Lists and dicts made by template functions (only these can hold bigints/GoFloats). */
export const builtContainers = new WeakSet<object>();
export function built<T extends object>(c: T): T {
  builtContainers.add(c);
  return c;
}
