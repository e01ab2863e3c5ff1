// Sprig v3's TxtFuncMap (the set KWOK registers) with sprig's Go semantics:
// numbers go through cast.ToInt64/ToFloat64 (json.Number parsed from its
// text), integer results are int64 (bigint), *f results float64 (GoFloat),
// "empty" is Go's zero-value test. Functions not in sprig (Helm's toYaml,
// fromJson, required...) are deliberately absent: KWOK rejects them too.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { FuncError, markNative } from './builtins.ts';
import type { FuncMap } from './compile.ts';
import { goQuote } from './fmt.ts';
import { SPRIG_SIGNATURES, withSignature } from './signatures.ts';
import { formatDuration, formatTime, nowLocal, parseDuration, timeIn } from './gotime.ts';
import { built, formatV, GoFloat, GoInt64, GoTime, intValue, isGoInt, isMap, isTrue, jsonNumberText, kindOf, sortedKeys, typeName } from './values.ts';

type Dict = Record<string, unknown>;

// ---- conversions (spf13/cast as sprig uses it) -----------------------------

/** sprig's strval: strings as-is, Stringers (json.Number) by String(), else %v. */
export function strval(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return jsonNumberText(v);
  if (v === undefined) return '<nil>';
  return formatV(v);
}

function parseIntLoose(s: string): bigint {
  // cast trims a zero decimal part ("1.0" -> "1"), nothing else (" 7" is not a number).
  let t = s;
  t = t.replace(/^([+-]?\d+)\.0*$/, '$1');
  try {
    if (/^[+-]?0[xX][0-9a-fA-F_]+$/.test(t) || /^[+-]?0[bB][01_]+$/.test(t) || /^[+-]?0[oO][0-7_]+$/.test(t)) {
      const neg = t.startsWith('-');
      const v = BigInt(t.replace(/^[+-]/, '').replace(/_/g, ''));
      return neg ? -v : v;
    }
    if (/^[+-]?0[0-7]+$/.test(t)) {
      const neg = t.startsWith('-');
      const v = BigInt('0o' + t.replace(/^[+-]?0/, ''));
      return neg ? -v : v;
    }
    if (/^[+-]?\d+$/.test(t)) return BigInt(t);
  } catch {
    // not a number: cast returns 0
  }
  return 0n;
}

export function toInt64(v: unknown): bigint {
  switch (typeof v) {
    case 'bigint': return BigInt.asIntN(64, v);
    case 'boolean': return v ? 1n : 0n;
  }
  if (v instanceof GoInt64) return v.value;
  switch (typeof v) {
    case 'string': return parseIntLoose(v);
    case 'number': return parseIntLoose(jsonNumberText(v));
  }
  if (v instanceof GoFloat) return Number.isFinite(v.value) ? BigInt(Math.trunc(v.value)) : 0n;
  return 0n;
}

export function toFloat64(v: unknown): number {
  switch (typeof v) {
    case 'bigint': return Number(v);
    case 'boolean': return v ? 1 : 0;
  }
  if (v instanceof GoInt64) return Number(v.value);
  switch (typeof v) {
    case 'number': return v;
    case 'string': {
      const t = v.trim();
      const f = Number(t);
      return t !== '' && Number.isFinite(f) ? f : 0;
    }
  }
  if (v instanceof GoFloat) return v.value;
  return 0;
}

function empty(v: unknown): boolean {
  return !isTrue(v);
}

const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';

function list(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === null || v === undefined) throw new FuncError(NIL_DEREF);
  throw new FuncError(fn === 'compact' ? `Cannot compact on type ${kindOf(v)}` : `Cannot find ${fn} on type ${kindOf(v)}`);
}

function asDict(v: unknown, what = 'map[string]interface {}'): Dict {
  if (isMap(v)) return v;
  if (v === undefined || v === null) return {};
  throw new FuncError(`wrong type for value; expected ${what}; got ${typeName(v)}`);
}

function strslice(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  if (v === undefined || v === null) return [];
  return [strval(v)];
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof GoFloat && b instanceof GoFloat) return a.value === b.value;
  if (a instanceof GoInt64 && b instanceof GoInt64) return a.value === b.value;
  if (a instanceof GoTime && b instanceof GoTime) return a.ms === b.ms;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return built(v.map(deepCopy));
  if (isMap(v)) {
    const o: Dict = {};
    for (const k of Object.keys(v)) o[k] = deepCopy(v[k]);
    return built(o);
  }
  return v;
}

/** Go's encoding/json for template values (sorted keys, HTML-safe unless raw). */
function toJSON(v: unknown, escapeHTML: boolean, indent = '', level = ''): string {
  if (v === undefined || v === null) return 'null';
  switch (typeof v) {
    case 'string': {
      let s = JSON.stringify(v).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
      if (escapeHTML) s = s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
      return s;
    }
    case 'number': return jsonNumberText(v);
    case 'bigint': return v.toString();
    case 'boolean': return String(v);
    case 'function': throw new FuncError('json: unsupported type: func');
  }
  if (v instanceof GoInt64) return v.value.toString();
  if (v instanceof GoFloat) {
    if (!Number.isFinite(v.value)) throw new FuncError(`json: unsupported value: ${formatV(v)}`);
    return JSON.stringify(v.value);
  }
  if (v instanceof GoTime) return JSON.stringify(formatTime(v, '2006-01-02T15:04:05.999999999Z07:00'));
  const inner = level + indent;
  const nl = indent ? '\n' : '';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + nl + v.map((x) => inner + toJSON(x, escapeHTML, indent, inner)).join(',' + nl) + nl + level + ']';
  }
  const m = v as Dict;
  const keys = sortedKeys(m);
  if (keys.length === 0) return '{}';
  const sep = indent ? ': ' : ':';
  return '{' + nl + keys.map((k) => inner + toJSON(k, escapeHTML) + sep + toJSON(m[k], escapeHTML, indent, inner)).join(',' + nl) + nl + level + '}';
}

function toGoTime(date: unknown): GoTime {
  if (date instanceof GoTime) return date;
  if (isGoInt(date)) return new GoTime(Number(intValue(date)) * 1000);
  return nowLocal();
}

function dateInZone(fmt: unknown, date: unknown, zone: unknown): string {
  return formatTime(timeIn(toGoTime(date), String(zone)), String(fmt));
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randFrom(chars: string, n: unknown): string {
  const len = Number(toInt64(n));
  const bytes = randomBytes(Math.max(0, len));
  let s = '';
  for (let i = 0; i < len; i++) s += chars[bytes[i]! % chars.length];
  return s;
}

function goRegex(re: unknown): RegExp {
  let src = String(re);
  let flags = 'u';
  // RE2 inline flags at the start, e.g. (?i).
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const f of m[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new FuncError(`error parsing regexp: ${(e as Error).message}`);
  }
}

/** Go's Regexp.Expand template syntax ($1, ${1}, ${name}) to JS replacement syntax. */
function goReplacement(repl: string): string {
  return repl.replace(/\$\$|\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g, (all, braced?: string, bare?: string) => {
    if (all === '$$') return '$$';
    const name = braced ?? bare!;
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

function words(s: string): string[] {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[^A-Za-z0-9]+/).filter(Boolean);
}

function maxMin(isMax: boolean, a: unknown, rest: unknown[]): GoInt64 {
  let r = toInt64(a);
  for (const x of rest) {
    const v = toInt64(x);
    if (isMax ? v > r : v < r) r = v;
  }
  return new GoInt64(r);
}

const YEAR = 365n * 24n * 3_600_000_000_000n;
const MONTH = 30n * 24n * 3_600_000_000_000n;
const DAY = 24n * 3_600_000_000_000n;
const HOUR = 3_600_000_000_000n;
const MINUTE = 60_000_000_000n;
const SECOND = 1_000_000_000n;

const fns: FuncMap = {
  // dates
  now: () => nowLocal(),
  date: (fmt: unknown, date: unknown) => dateInZone(fmt, date, 'Local'),
  dateInZone,
  date_in_zone: dateInZone,
  htmlDate: (date: unknown) => dateInZone('2006-01-02', date, 'Local'),
  htmlDateInZone: (date: unknown, zone: unknown) => dateInZone('2006-01-02', date, zone),
  unixEpoch: (date: unknown) => String(Math.floor(toGoTime(date).ms / 1000)),
  dateModify: (fmt: unknown, date: unknown) => {
    const t = toGoTime(date);
    try {
      const ns = parseDuration(String(fmt));
      return new GoTime(t.ms + Number(ns / 1_000_000n), t.offsetMin, t.zone);
    } catch {
      return t;
    }
  },
  ago: (date: unknown) => {
    const t = toGoTime(date);
    const ns = BigInt(Math.round((Date.now() - t.ms) / 1000)) * SECOND;
    return formatDuration(ns);
  },
  // sprig reads only a string or an int64 here; an int literal or a json.Number gives "0s" in KWOK.
  duration: (sec: unknown) => {
    let n = 0n;
    if (typeof sec === 'string') n = /^[+-]?\d+$/.test(sec) ? BigInt(sec) : 0n;
    else if (sec instanceof GoInt64) n = sec.value;
    return formatDuration(n * SECOND);
  },
  durationRound: (d: unknown) => {
    let ns = 0n;
    if (typeof d === 'string') {
      try { ns = parseDuration(d); } catch { ns = 0n; }
    } else if (d instanceof GoInt64) ns = d.value;
    else if (d instanceof GoTime) ns = BigInt(Date.now() - d.ms) * 1_000_000n;
    const u = ns < 0n ? -ns : ns;
    if (u > YEAR) return `${u / YEAR}y`;
    if (u > MONTH) return `${u / MONTH}mo`;
    if (u > DAY) return `${u / DAY}d`;
    if (u > HOUR) return `${u / HOUR}h`;
    if (u > MINUTE) return `${u / MINUTE}m`;
    if (u > SECOND) return `${u / SECOND}s`;
    return '0s';
  },

  // strings
  abbrev: (width: unknown, s: unknown) => {
    const w = Number(toInt64(width));
    const str = strval(s);
    if (w < 4 || str.length <= w) return str;
    return str.slice(0, w - 3) + '...';
  },
  upper: (s: unknown) => strval(s).toUpperCase(),
  lower: (s: unknown) => strval(s).toLowerCase(),
  title: (s: unknown) => title(strval(s)),
  untitle: (s: unknown) => strval(s).replace(/(^|\s)(\S)/g, (_m, p: string, c: string) => p + c.toLowerCase()),
  substr: (start: unknown, end: unknown, s: unknown) => {
    const str = strval(s);
    const a = Number(toInt64(start));
    const b = Number(toInt64(end));
    if (a < 0) return str.slice(0, b);
    if (b < 0 || b > str.length) return str.slice(a);
    return str.slice(a, b);
  },
  repeat: (count: unknown, s: unknown) => {
    const n = Number(toInt64(count));
    if (n < 0) throw new FuncError('strings: negative Repeat count');
    return strval(s).repeat(n);
  },
  trunc: (c: unknown, s: unknown) => {
    const n = Number(toInt64(c));
    const str = strval(s);
    if (n < 0 && str.length + n > 0) return str.slice(str.length + n);
    if (n >= 0 && str.length > n) return str.slice(0, n);
    return str;
  },
  trim: (s: unknown) => strval(s).trim(),
  trimAll: (cut: unknown, s: unknown) => trimCutset(strval(s), strval(cut)),
  trimPrefix: (p: unknown, s: unknown) => {
    const str = strval(s);
    const pre = strval(p);
    return str.startsWith(pre) ? str.slice(pre.length) : str;
  },
  trimSuffix: (p: unknown, s: unknown) => {
    const str = strval(s);
    const suf = strval(p);
    return suf && str.endsWith(suf) ? str.slice(0, -suf.length) : str;
  },
  nospace: (s: unknown) => strval(s).replace(/\s/g, ''),
  initials: (s: unknown) => strval(s).split(/\s+/).filter(Boolean).map((w) => w[0]).join(''),
  randAlphaNum: (n: unknown) => randFrom(ALNUM, n),
  randAlpha: (n: unknown) => randFrom(ALNUM.slice(0, 52), n),
  randNumeric: (n: unknown) => randFrom('0123456789', n),
  randAscii: (n: unknown) => randFrom(Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''), n),
  swapcase: (s: unknown) => [...strval(s)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  shuffle: (s: unknown) => [...strval(s)].sort(() => Math.random() - 0.5).join(''),
  snakecase: (s: unknown) => words(strval(s)).map((w) => w.toLowerCase()).join('_'),
  camelcase: (s: unknown) => strval(s).split('_').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : '')).join(''),
  kebabcase: (s: unknown) => words(strval(s)).map((w) => w.toLowerCase()).join('-'),
  wrap: (l: unknown, s: unknown) => wrap(strval(s), Number(toInt64(l))),
  contains: (sub: unknown, s: unknown) => strval(s).includes(strval(sub)),
  hasPrefix: (sub: unknown, s: unknown) => strval(s).startsWith(strval(sub)),
  hasSuffix: (sub: unknown, s: unknown) => strval(s).endsWith(strval(sub)),
  quote: (...xs: unknown[]) => xs.filter((x) => x !== null && x !== undefined).map((x) => goQuote(strval(x))).join(' '),
  squote: (...xs: unknown[]) => xs.filter((x) => x !== null && x !== undefined).map((x) => `'${strval(x)}'`).join(' '),
  cat: (...xs: unknown[]) => xs.filter((x) => x !== null && x !== undefined).map((x) => formatV(x)).join(' '),
  indent: (n: unknown, s: unknown) => {
    const pad = ' '.repeat(Number(toInt64(n)));
    return pad + strval(s).replace(/\n/g, '\n' + pad);
  },
  nindent: (n: unknown, s: unknown) => {
    const pad = ' '.repeat(Number(toInt64(n)));
    return '\n' + pad + strval(s).replace(/\n/g, '\n' + pad);
  },
  replace: (o: unknown, n: unknown, s: unknown) => strval(s).split(strval(o)).join(strval(n)),
  plural: (one: unknown, many: unknown, count: unknown) => (toInt64(count) === 1n ? strval(one) : strval(many)),
  sha1sum: (s: unknown) => createHash('sha1').update(strval(s)).digest('hex'),
  sha256sum: (s: unknown) => createHash('sha256').update(strval(s)).digest('hex'),
  sha512sum: (s: unknown) => createHash('sha512').update(strval(s)).digest('hex'),
  adler32sum: (s: unknown) => String(adler32(Buffer.from(strval(s)))),
  toString: (v: unknown) => strval(v),
  atoi: (s: unknown) => {
    const t = strval(s);
    return /^[+-]?\d+$/.test(t) ? BigInt(t) : 0n;
  },
  int64: (v: unknown) => new GoInt64(toInt64(v)),
  int: (v: unknown) => toInt64(v),
  float64: (v: unknown) => new GoFloat(toFloat64(v)),
  seq: (...params: unknown[]) => seq(params.map((p) => Number(toInt64(p)))),
  toDecimal: (v: unknown) => {
    const t = strval(v);
    return new GoInt64(/^[0-7]+$/.test(t) ? BigInt('0o' + t) : 0n);
  },
  split: (sep: unknown, s: unknown) => {
    const parts = strval(s).split(strval(sep));
    const m: Dict = {};
    parts.forEach((p, i) => (m[`_${i}`] = p));
    return built(m);
  },
  splitList: (sep: unknown, s: unknown) => built(strval(s).split(strval(sep))),
  splitn: (sep: unknown, n: unknown, s: unknown) => {
    const k = Number(toInt64(n));
    const str = strval(s);
    const sp = strval(sep);
    const parts = str.split(sp);
    const res = k > 0 && parts.length > k ? [...parts.slice(0, k - 1), parts.slice(k - 1).join(sp)] : k === 0 ? [] : parts;
    const m: Dict = {};
    res.forEach((p, i) => (m[`_${i}`] = p));
    return built(m);
  },
  toStrings: (v: unknown) => built(strslice(v)),
  until: (n: unknown) => built(untilStep(0n, toInt64(n), toInt64(n) >= 0n ? 1n : -1n)),
  untilStep: (a: unknown, b: unknown, c: unknown) => built(untilStep(toInt64(a), toInt64(b), toInt64(c))),

  // numbers
  add1: (a: unknown) => new GoInt64(toInt64(a) + 1n),
  add: (...xs: unknown[]) => new GoInt64(xs.reduce<bigint>((acc, x) => acc + toInt64(x), 0n)),
  sub: (a: unknown, b: unknown) => new GoInt64(toInt64(a) - toInt64(b)),
  div: (a: unknown, b: unknown) => {
    const d = toInt64(b);
    if (d === 0n) throw new FuncError('runtime error: integer divide by zero');
    return new GoInt64(toInt64(a) / d);
  },
  mod: (a: unknown, b: unknown) => {
    const d = toInt64(b);
    if (d === 0n) throw new FuncError('runtime error: integer divide by zero');
    return new GoInt64(toInt64(a) % d);
  },
  mul: (a: unknown, ...xs: unknown[]) => new GoInt64(xs.reduce<bigint>((acc, x) => acc * toInt64(x), toInt64(a))),
  randInt: (min: unknown, max: unknown) => {
    const lo = toInt64(min);
    const hi = toInt64(max);
    return lo + BigInt(Math.floor(Math.random() * Number(hi - lo)));
  },
  add1f: (a: unknown) => new GoFloat(toFloat64(a) + 1),
  addf: (...xs: unknown[]) => new GoFloat(xs.reduce<number>((acc, x) => acc + toFloat64(x), 0)),
  subf: (a: unknown, ...xs: unknown[]) => new GoFloat(xs.reduce<number>((acc, x) => acc - toFloat64(x), toFloat64(a))),
  divf: (a: unknown, ...xs: unknown[]) => new GoFloat(xs.reduce<number>((acc, x) => acc / toFloat64(x), toFloat64(a))),
  mulf: (a: unknown, ...xs: unknown[]) => new GoFloat(xs.reduce<number>((acc, x) => acc * toFloat64(x), toFloat64(a))),
  biggest: (a: unknown, ...xs: unknown[]) => maxMin(true, a, xs),
  max: (a: unknown, ...xs: unknown[]) => maxMin(true, a, xs),
  min: (a: unknown, ...xs: unknown[]) => maxMin(false, a, xs),
  maxf: (a: unknown, ...xs: unknown[]) => new GoFloat(Math.max(toFloat64(a), ...xs.map(toFloat64))),
  minf: (a: unknown, ...xs: unknown[]) => new GoFloat(Math.min(toFloat64(a), ...xs.map(toFloat64))),
  ceil: (a: unknown) => new GoFloat(Math.ceil(toFloat64(a))),
  floor: (a: unknown) => new GoFloat(Math.floor(toFloat64(a))),
  round: (a: unknown, p: unknown, rOpt?: unknown) => {
    const roundOn = rOpt === undefined ? 0.5 : toFloat64(rOpt);
    const val = toFloat64(a);
    const pow = Math.pow(10, Number(toInt64(p)));
    const digit = pow * val;
    const div = digit % 1;
    const r = div >= roundOn ? Math.ceil(digit) : Math.floor(digit);
    return new GoFloat(r / pow);
  },

  // defaults
  default: (d: unknown, ...given: unknown[]) => (given.length === 0 || empty(given[0]) ? d : given[0]),
  empty: (v: unknown) => empty(v),
  coalesce: (...xs: unknown[]) => {
    for (const x of xs) if (!empty(x)) return x;
    return null;
  },
  all: (...xs: unknown[]) => xs.every((x) => !empty(x)),
  any: (...xs: unknown[]) => xs.some((x) => !empty(x)),
  compact: (l: unknown) => built(list(l, 'compact').filter((x) => !empty(x))),
  deepCopy: (v: unknown) => deepCopy(v),
  toJson: (v: unknown) => toJSONLenient(v, true, ''),
  toPrettyJson: (v: unknown) => toJSONLenient(v, true, '  '),
  toRawJson: (v: unknown) => toJSONLenient(v, false, ''),
  ternary: (vt: unknown, vf: unknown, v: unknown) => {
    if (typeof v !== 'boolean') throw new FuncError(`wrong type for value; expected bool; got ${typeName(v)}`);
    return v ? vt : vf;
  },
  deepEqual: (a: unknown, b: unknown) => deepEqual(a, b),

  // reflection
  typeOf: (v: unknown) => typeName(v),
  typeIs: (t: unknown, v: unknown) => strval(t) === typeName(v),
  typeIsLike: (t: unknown, v: unknown) => {
    const n = typeName(v);
    return strval(t) === n || strval(t) === '*' + n;
  },
  kindOf: (v: unknown) => goKind(v),
  kindIs: (k: unknown, v: unknown) => strval(k) === goKind(v),

  // os / paths
  env: (k: unknown) => process.env[strval(k)] ?? '',
  expandenv: (s: unknown) => strval(s).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a?: string, b?: string) => process.env[(a ?? b)!] ?? ''),
  base: (p: unknown) => {
    const s = strval(p);
    if (s === '') return '.';
    const t = s.replace(/\/+$/, '');
    return t === '' ? '/' : posix.basename(t);
  },
  dir: (p: unknown) => {
    const s = strval(p);
    const i = s.lastIndexOf('/');
    return goClean(s.slice(0, i + 1));
  },
  clean: (p: unknown) => goClean(strval(p)),
  ext: (p: unknown) => {
    const s = strval(p);
    for (let i = s.length - 1; i >= 0 && s[i] !== '/'; i--) if (s[i] === '.') return s.slice(i);
    return '';
  },
  isAbs: (p: unknown) => strval(p).startsWith('/'),

  // encoding
  b64enc: (s: unknown) => Buffer.from(strval(s), 'utf8').toString('base64'),
  b64dec: (s: unknown) => {
    const t = strval(s);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return 'illegal base64 data at input byte ' + firstBad64(t);
    return Buffer.from(t, 'base64').toString('utf8');
  },
  b32enc: (s: unknown) => base32(Buffer.from(strval(s), 'utf8')),

  // lists
  list: (...xs: unknown[]) => built(xs),
  tuple: (...xs: unknown[]) => built(xs),
  first: (l: unknown) => (list(l, 'first').length ? (l as unknown[])[0] : null),
  last: (l: unknown) => {
    const a = list(l, 'last');
    return a.length ? a[a.length - 1] : null;
  },
  rest: (l: unknown) => {
    const a = list(l, 'rest');
    return a.length ? built(a.slice(1)) : null;
  },
  initial: (l: unknown) => {
    const a = list(l, 'initial');
    return a.length ? built(a.slice(0, -1)) : null;
  },
  append: (l: unknown, v: unknown) => built([...listOrNil(l, 'append'), v]),
  push: (l: unknown, v: unknown) => built([...listOrNil(l, 'push'), v]),
  prepend: (l: unknown, v: unknown) => built([v, ...listOrNil(l, 'prepend')]),
  concat: (...ls: unknown[]) => built(ls.flatMap((l) => listOrNil(l, 'concat'))),
  reverse: (l: unknown) => built([...list(l, 'reverse')].reverse()),
  uniq: (l: unknown) => {
    const out: unknown[] = [];
    for (const x of list(l, 'uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return built(out);
  },
  without: (l: unknown, ...omit: unknown[]) => built(list(l, 'without').filter((x) => !omit.some((o) => deepEqual(x, o)))),
  has: (needle: unknown, hay: unknown) => (hay === null || hay === undefined ? false : list(hay, 'has').some((x) => deepEqual(x, needle))),
  sortAlpha: (l: unknown) => built(strslice(l).sort()),
  join: (sep: unknown, v: unknown) => strslice(v).join(strval(sep)),
  chunk: (size: unknown, l: unknown) => {
    const n = Number(toInt64(size));
    const a = list(l, 'chunk');
    const out: unknown[] = [];
    for (let i = 0; i < a.length; i += n) out.push(built(a.slice(i, i + n)));
    return built(out);
  },

  slice: (l: unknown, ...ix: unknown[]) => {
    if (l === null || l === undefined) throw new FuncError(NIL_DEREF);
    if (!Array.isArray(l)) throw new FuncError(`list should be type of slice or array but ${kindOf(l)}`);
    if (l.length === 0) return null;
    const start = ix.length > 0 ? Number(toInt64(ix[0])) : 0;
    const end = ix.length > 1 ? Number(toInt64(ix[1])) : l.length;
    if (start < 0 || end < start || end > l.length) throw new FuncError('reflect.Value.Slice: slice index out of bounds');
    return built(l.slice(start, end));
  },

  // dicts
  dict: (...kv: unknown[]) => {
    const d: Dict = {};
    for (let i = 0; i < kv.length; i += 2) d[strval(kv[i])] = i + 1 < kv.length ? kv[i + 1] : '';
    return built(d);
  },
  get: (d: unknown, k: unknown) => {
    const m = asDict(d);
    const key = strval(k);
    return Object.hasOwn(m, key) ? m[key] : '';
  },
  set: (d: unknown, k: unknown, v: unknown) => {
    if (!isMap(d)) throw new FuncError('assignment to entry in nil map');
    d[strval(k)] = v;
    return d;
  },
  unset: (d: unknown, k: unknown) => {
    const m = asDict(d);
    delete m[strval(k)];
    return m;
  },
  hasKey: (d: unknown, k: unknown) => Object.hasOwn(asDict(d), strval(k)),
  keys: (...ds: unknown[]) => built(ds.flatMap((d) => sortedKeys(asDict(d)))),
  values: (d: unknown) => {
    const m = asDict(d);
    return built(sortedKeys(m).map((k) => m[k]));
  },
  pluck: (name: unknown, ...ds: unknown[]) => {
    const key = strval(name);
    return built(ds.map(asDictOrEmpty).filter((m) => Object.hasOwn(m, key)).map((m) => m[key]));
  },
  pick: (d: unknown, ...ks: unknown[]) => {
    const m = asDict(d);
    const out: Dict = {};
    for (const k of ks.map(strval)) if (Object.hasOwn(m, k)) out[k] = m[k];
    return built(out);
  },
  omit: (d: unknown, ...ks: unknown[]) => {
    const m = asDict(d);
    const drop = new Set(ks.map(strval));
    const out: Dict = {};
    for (const k of Object.keys(m)) if (!drop.has(k)) out[k] = m[k];
    return built(out);
  },
  dig: (...args: unknown[]) => {
    if (args.length < 3) throw new FuncError(`dig needs at least three arguments`);
    const d = asDict(args[args.length - 1]);
    const dflt = args[args.length - 2];
    const path = args.slice(0, -2).map(strval);
    let cur: unknown = d;
    for (const k of path) {
      if (!isMap(cur) || !Object.hasOwn(cur, k)) return dflt;
      cur = cur[k];
    }
    return cur;
  },
  merge: (dst: unknown, ...srcs: unknown[]) => mergeInto(asDict(dst), srcs, false),
  mergeOverwrite: (dst: unknown, ...srcs: unknown[]) => mergeInto(asDict(dst), srcs, true),

  // regex
  // sprig's regexMatch ignores a bad pattern (false); the other regex functions fail on it.
  regexMatch: (re: unknown, s: unknown) => {
    try {
      return goRegex(re).test(strval(s));
    } catch {
      return false;
    }
  },
  regexFind: (re: unknown, s: unknown) => goRegex(re).exec(strval(s))?.[0] ?? '',
  regexFindAll: (re: unknown, s: unknown, n: unknown) => {
    const r = new RegExp(goRegex(re).source, goRegex(re).flags + 'g');
    let all = [...strval(s).matchAll(r)].map((m) => m[0]);
    const k = Number(toInt64(n));
    if (k >= 0) all = all.slice(0, k);
    return built(all);
  },
  regexReplaceAll: (re: unknown, s: unknown, repl: unknown) => {
    const r = goRegex(re);
    return strval(s).replace(new RegExp(r.source, r.flags + 'g'), goReplacement(strval(repl)));
  },
  regexReplaceAllLiteral: (re: unknown, s: unknown, repl: unknown) => {
    const r = goRegex(re);
    const lit = strval(repl);
    return strval(s).replace(new RegExp(r.source, r.flags + 'g'), () => lit);
  },
  regexSplit: (re: unknown, s: unknown, n: unknown) => {
    const parts = strval(s).split(new RegExp(goRegex(re).source, goRegex(re).flags + 'g'));
    const k = Number(toInt64(n));
    return built(k > 0 && parts.length > k ? parts.slice(0, k) : parts);
  },
  regexQuoteMeta: (s: unknown) => strval(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'),

  // misc
  uuidv4: () => randomUUID(),
  fail: (msg: unknown) => {
    throw new FuncError(strval(msg));
  },
};

function toJSONLenient(v: unknown, escapeHTML: boolean, indent: string): string {
  try {
    return toJSON(v, escapeHTML, indent);
  } catch {
    return '';
  }
}

function goKind(v: unknown): string {
  if (v === undefined || v === null) return 'invalid';
  const k = kindOf(v);
  return k;
}

function asDictOrEmpty(v: unknown): Dict {
  return isMap(v) ? v : {};
}

function listOrNil(l: unknown, fn: string): unknown[] {
  if (l === null || l === undefined) throw new FuncError(NIL_DEREF);
  if (Array.isArray(l)) return l;
  throw new FuncError(`Cannot ${fn} on type ${kindOf(l)}`);
}

function mergeInto(dst: Dict, srcs: unknown[], overwrite: boolean): Dict {
  for (const s of srcs) {
    const src = asDictOrEmpty(s);
    for (const k of Object.keys(src)) {
      const a = dst[k];
      const b = src[k];
      if (isMap(a) && isMap(b)) mergeInto(a, [b], overwrite);
      else if (overwrite ? !empty(b) : !Object.hasOwn(dst, k) || empty(a)) dst[k] = b;
    }
  }
  return dst;
}

function untilStep(start: bigint, stop: bigint, step: bigint): bigint[] {
  const out: bigint[] = [];
  if (step === 0n) return out;
  if (step > 0n) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

function seq(p: number[]): string {
  let start = 1;
  let end = 0;
  let step = 1;
  if (p.length === 1) end = p[0]!;
  else if (p.length === 2) [start, end] = [p[0]!, p[1]!];
  else if (p.length === 3) [start, step, end] = [p[0]!, p[1]!, p[2]!];
  else return '';
  if (p.length < 3 && end < start) step = -1;
  const out: number[] = [];
  if (step > 0) for (let i = start; i <= end; i += step) out.push(i);
  else if (step < 0) for (let i = start; i >= end; i += step) out.push(i);
  return out.join(' ');
}

function trimCutset(s: string, cut: string): string {
  const set = new Set([...cut]);
  const cs = [...s];
  let a = 0;
  let b = cs.length;
  while (a < b && set.has(cs[a]!)) a++;
  while (b > a && set.has(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

function wrap(s: string, width: number): string {
  const out: string[] = [];
  for (const line of s.split('\n')) {
    let cur = '';
    for (const w of line.split(' ')) {
      if (cur && cur.length + 1 + w.length > width) {
        out.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
    out.push(cur);
  }
  return out.join('\n');
}

function goClean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/$/, '') : n;
}

function adler32(b: Buffer): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return ((c << 16) | a) >>> 0;
}

function base32(b: Buffer): string {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let val = 0;
  let out = '';
  for (const x of b) {
    val = (val << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += alpha[(val >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alpha[(val << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

function firstBad64(t: string): number {
  for (let i = 0; i < t.length; i++) if (!/[A-Za-z0-9+/=]/.test(t[i]!)) return i;
  return Math.floor(t.length / 4) * 4;
}

for (const f of Object.values(fns)) markNative(f);
for (const [name, sig] of Object.entries(SPRIG_SIGNATURES)) {
  const f = fns[name];
  if (f) withSignature(f, sig);
}

/** Sprig's text function map; pass it (with its names) to parseTemplate/execute. */
export const sprigFuncs: FuncMap = Object.freeze(fns) as FuncMap;
