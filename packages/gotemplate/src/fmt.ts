// Go's fmt package as templates reach it: Sprint, Sprintln and Sprintf over
// the value representation of values.ts (verbs %v %s %d %q %f %e %g %t %x %X
// %o %b %c %U %T %%, flags + - # 0 space, width and precision, * widths, and
// Go's %!verb(type=value) / MISSING / EXTRA reports).

import { formatFloatG, formatV, GoFloat, GoInt64, GoTime, intValue, isGoInt, isMap, jsonNumberText, sortedKeys, typeName } from './values.ts';

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** strconv.Quote: Go-syntax double-quoted string. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') { out += '\\' + ch; continue; }
    if (cp < 0x80 ? cp >= 0x20 && cp < 0x7f : !asciiOnly && PRINTABLE.test(ch)) { out += ch; continue; }
    switch (ch) {
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

function isStringKind(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number';
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let s = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0 && !isStringKind(a) && !isStringKind(args[i - 1])) s += ' ';
    s += formatV(a);
  }
  return s;
}

/** fmt.Sprintln: always spaces, then a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(formatV).join(' ') + '\n';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number | null;
  prec: number | null;
  verb: string;
}

function pad(s: string, spec: Spec, numeric = false): string {
  if (spec.width === null) return s;
  const len = [...s].length;
  if (len >= spec.width) return s;
  const fill = spec.width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = s[0] === '-' || s[0] === '+' || s[0] === ' ' ? s[0] : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  if (spec.zero && !numeric) return '0'.repeat(fill) + s;
  return ' '.repeat(fill) + s;
}

/** %!verb(type=value): Go prints the value with %v under the same flags, width and precision. */
function badVerb(spec: Spec, v: unknown): string {
  if (v === null || v === undefined) return `%!${spec.verb}(<nil>)`;
  return `%!${spec.verb}(${typeName(v)}=${fmtValue(v, { ...spec, verb: 'v' })})`;
}

function fmtInt(v: bigint, spec: Spec, orig: unknown = v): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let digits: string;
  let prefix = '';
  switch (spec.verb) {
    case 'd': case 'v': digits = a.toString(10); break;
    case 'b': digits = a.toString(2); if (spec.sharp) prefix = '0b'; break;
    case 'o': digits = a.toString(8); if (spec.sharp) prefix = '0'; break;
    case 'O': digits = a.toString(8); prefix = '0o'; break;
    case 'x': digits = a.toString(16); if (spec.sharp) prefix = '0x'; break;
    case 'X': digits = a.toString(16).toUpperCase(); if (spec.sharp) prefix = '0X'; break;
    case 'c': return pad(String.fromCodePoint(Number(v)), spec);
    case 'q': return pad(goQuoteRune(Number(v)), spec);
    case 'U': {
      const s = 'U+' + a.toString(16).toUpperCase().padStart(4, '0');
      return pad(spec.sharp ? `${s} '${String.fromCodePoint(Number(v))}'` : s, spec);
    }
    default: return badVerb(spec, orig);
  }
  if (spec.prec !== null) {
    digits = digits.padStart(spec.prec, '0');
    if (spec.prec === 0 && a === 0n) digits = '';
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  const zeroOK = spec.prec === null;
  return pad(sign + prefix + digits, { ...spec, zero: spec.zero && zeroOK && !spec.minus }, true);
}

function goQuoteRune(cp: number): string {
  const ch = String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  const q = goQuote(ch);
  return "'" + q.slice(1, -1).replace(/\\"/g, '"') + "'";
}

function expForm(f: number, prec: number, upper: boolean): string {
  const s = f.toExponential(prec);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s)!;
  const e = m[3]!.padStart(2, '0');
  return `${m[1]}${upper ? 'E' : 'e'}${m[2]}${e}`;
}

function fmtFloat(f: number, spec: Spec): string {
  let s: string;
  if (!Number.isFinite(f)) {
    s = Number.isNaN(f) ? 'NaN' : f > 0 ? (spec.plus ? '+Inf' : 'Inf') : '-Inf';
    return pad(s, { ...spec, zero: false });
  }
  switch (spec.verb) {
    case 'v': case 'g': case 'G':
      if (spec.prec === null) s = formatFloatG(f);
      else {
        const p = Math.max(spec.prec, 1);
        const e = Number(f.toExponential(p - 1).split('e')[1]);
        if (e < -4 || e >= p) s = expForm(f, p - 1, false).replace(/\.?0+e/, 'e');
        else s = String(Number(f.toPrecision(p)));
      }
      if (spec.verb === 'G') s = s.toUpperCase();
      break;
    case 'e': case 'E': s = expForm(f, spec.prec ?? 6, spec.verb === 'E'); break;
    case 'x': case 'X': s = hexFloat(f, spec.verb === 'X'); break;
    case 'f': case 'F': s = toFixedEven(f, spec.prec ?? 6); break;
    default: return badVerb(spec, new GoFloat(f));
  }
  if (f >= 0 && !s.startsWith('-')) s = (spec.plus ? '+' : spec.space ? ' ' : '') + s;
  return pad(s, spec, true);
}

function fmtString(s: string, spec: Spec, v: unknown): string {
  switch (spec.verb) {
    case 'v': case 's':
      if (spec.prec !== null) s = [...s].slice(0, spec.prec).join('');
      return pad(s, spec);
    case 'q':
      if (spec.prec !== null) s = [...s].slice(0, spec.prec).join('');
      if (spec.sharp && !s.includes('`')) return pad('`' + s + '`', spec);
      return pad(goQuote(s, spec.plus), spec);
    case 'x': case 'X': {
      let h = Buffer.from(s, 'utf8').toString('hex');
      if (spec.verb === 'X') h = h.toUpperCase();
      return pad(h, spec);
    }
    default: return badVerb(spec, v);
  }
}

/** Format one operand under one verb (recursing into slices and maps as fmt does). */
function fmtValue(v: unknown, spec: Spec): string {
  if (spec.verb === 'T') return pad(typeName(v), spec);
  if (v === null || v === undefined) return spec.verb === 'v' ? pad('<nil>', spec) : badVerb(spec, v);
  switch (typeof v) {
    case 'boolean':
      return spec.verb === 'v' || spec.verb === 't' ? pad(v ? 'true' : 'false', spec) : badVerb(spec, v);
    case 'string': return fmtString(v, spec, v);
    case 'number': return fmtString(jsonNumberText(v), spec, v);
    case 'bigint': return fmtInt(v, spec);
    case 'function': return spec.verb === 'v' || spec.verb === 'p' ? pad('0x1', spec) : badVerb(spec, v);
  }
  if (v instanceof GoFloat) return fmtFloat(v.value, spec);
  if (v instanceof GoInt64) return fmtInt(v.value, spec, v);
  if (v instanceof GoTime) return spec.verb === 'v' || spec.verb === 's' ? pad(formatV(v), spec) : badVerb(spec, v);
  // Elements format with the same verb; a nil element prints <nil> whatever the verb.
  const elem = (e: unknown) => (e === null || e === undefined ? '<nil>' : fmtValue(e, spec));
  if (Array.isArray(v)) return '[' + v.map(elem).join(' ') + ']';
  if (isMap(v)) return 'map[' + sortedKeys(v).map((k) => fmtValue(k, spec) + ':' + elem(v[k])).join(' ') + ']';
  return pad(formatV(v), spec);
}

/** One operand under one verb with no flags, e.g. formatVerb(v, 's') for Go's %s. */
export function formatVerb(v: unknown, verb: string): string {
  return fmtValue(v, { minus: false, plus: false, sharp: false, zero: false, space: false, width: null, prec: null, verb });
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false, width: null, prec: null, verb: '' };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = !spec.minus;
      else if (c === ' ') spec.space = true;
      else break;
    }
    const readNum = (): number | null => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        if (isGoInt(a)) {
          let w = Number(intValue(a));
          if (w < 0) { spec.minus = true; w = -w; }
          return w;
        }
        out += '%!(BADWIDTH)';
        return null;
      }
      const s = i;
      while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
      return i > s ? Number(format.slice(s, i)) : null;
    };
    spec.width = readNum();
    if (format[i] === '.') {
      i++;
      spec.prec = readNum() ?? 0;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    spec.verb = verb;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    if (verb === 'v' && spec.sharp) {
      out += pad(goSyntax(a), spec);
      continue;
    }
    out += fmtValue(a, spec);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a)}=${formatV(a)}`)).join(', ') + ')';
  }
  return out;
}

/** strconv.FormatFloat(f, 'x', -1, 64): shortest hex mantissa, binary exponent. */
function hexFloat(f: number, upper: boolean): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(f));
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let lead = '1';
  if (exp === 0) {
    if (mant === 0n) lead = '0';
    else {
      // Subnormal: normalise so the leading digit is 1.
      while ((mant & (1n << 52n)) === 0n) {
        mant <<= 1n;
        exp--;
      }
      mant &= (1n << 52n) - 1n;
      exp++;
    }
  }
  const e = lead === '0' ? 0 : exp - 1023;
  const frac = mant.toString(16).padStart(13, '0').replace(/0+$/, '');
  const ae = Math.abs(e);
  const s = `${f < 0 || Object.is(f, -0) ? '-' : ''}0x${lead}${frac ? '.' + frac : ''}p${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  return upper ? s.toUpperCase() : s;
}

/** toFixed with Go's rounding: exact binary ties go to even (JS rounds them away from zero). */
function toFixedEven(f: number, prec: number): string {
  const s = f.toFixed(prec);
  if (!Number.isFinite(f) || prec > 20 || !isExactTie(Math.abs(f), prec)) return s;
  const down = Math.floor(Math.abs(f) * Math.pow(10, prec));
  if (down % 2 !== 0) return s;
  const r = (down / Math.pow(10, prec)).toFixed(prec);
  return f < 0 ? '-' + r : r;
}

/** Whether x * 10^prec is exactly an integer plus one half (x's exact binary value). */
function isExactTie(x: number, prec: number): boolean {
  if (x === 0) return false;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  // 2 * x * 10^prec = mant * 10^prec * 2^(exp+1) must be an odd integer.
  const n = mant * 10n ** BigInt(prec);
  const shift = -(exp + 1);
  if (shift <= 0) return shift === 0 && n % 2n === 1n;
  if (shift > 2000) return false;
  const d = 1n << BigInt(shift);
  return n % d === 0n && (n / d) % 2n === 1n;
}

/** %#v: Go-syntax representation. */
function goSyntax(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  switch (typeof v) {
    case 'string': return goQuote(v);
    case 'number': return goQuote(jsonNumberText(v));
    case 'bigint': return v.toString();
    case 'boolean': return String(v);
  }
  if (v instanceof GoFloat) return formatFloatG(v.value);
  if (v instanceof GoInt64) return v.value.toString();
  if (Array.isArray(v)) return '[]interface {}{' + v.map(goSyntax).join(', ') + '}';
  if (isMap(v)) return 'map[string]interface {}{' + sortedKeys(v).map((k) => `${goQuote(k)}:${goSyntax(v[k])}`).join(', ') + '}';
  return formatV(v);
}
