// text/template's predefined functions (except and/or, which short-circuit
// and are compiled inline), with Go's argument rules and error texts.

import { formatVerb, goQuote, sprint, sprintf, sprintln } from './fmt.ts';
import { formatV, GoFloat, GoInt64, GoTime, intValue, isGoInt, isMap, isTrue as truthy, jsonNumberText, kindOf, typeName } from './values.ts';

/** A function that receives Go values as they are (bigint, GoFloat, undefined...). */
export type NativeFunc = (...args: any[]) => unknown;

/** Functions marked native receive template values unconverted; others get plain JS numbers. */
export const nativeFuncs = new WeakSet<Function>();
export function markNative<T extends Function>(f: T): T {
  nativeFuncs.add(f);
  return f;
}

/** Error raised by a function; the executor reports it as "error calling NAME: MESSAGE". */
export class FuncError extends Error {}

/** Arity rules of the builtins: [min, max] (max -1 = variadic). */
export const BUILTIN_ARITY: Record<string, [number, number]> = {
  and: [1, -1], or: [1, -1], not: [1, 1], len: [1, 1], index: [1, -1], slice: [1, -1],
  print: [0, -1], printf: [1, -1], println: [0, -1], eq: [1, -1], ne: [2, 2], lt: [2, 2],
  le: [2, 2], gt: [2, 2], ge: [2, 2], html: [0, -1], js: [0, -1], urlquery: [0, -1], call: [1, -1],
};

function utf8Len(s: string): number {
  // Fast path for ASCII.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

function indexArg(x: unknown, cap: number): number {
  if (isGoInt(x)) {
    const i = intValue(x);
    if (i < 0n || i > BigInt(cap)) throw new FuncError(`index out of range: ${i}`);
    return Number(i);
  }
  if (x === undefined || x === null) throw new FuncError('cannot index slice/array with nil');
  throw new FuncError(`cannot index slice/array with type ${typeName(x)}`);
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('index of untyped nil');
  for (const ix of indexes) {
    if (item === null) throw new FuncError('index of nil pointer');
    if (Array.isArray(item)) {
      const x = indexArg(ix, item.length);
      if (x === item.length) throw new FuncError('reflect: slice index out of range');
      item = item[x];
    } else if (typeof item === 'string' || typeof item === 'number') {
      const bytes = Buffer.from(typeof item === 'string' ? item : jsonNumberText(item), 'utf8');
      const x = indexArg(ix, bytes.length);
      if (x === bytes.length) throw new FuncError('reflect: string index out of range');
      item = BigInt(bytes[x]!);
    } else if (isMap(item)) {
      if (typeof ix !== 'string') {
        if (ix === undefined || ix === null) throw new FuncError('value is nil; should be of type string');
        throw new FuncError(`value has type ${typeName(ix)}; should be string`);
      }
      item = Object.hasOwn(item, ix) ? (item[ix] ?? null) : null;
    } else {
      throw new FuncError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  let bytes: Buffer | null = null;
  if (typeof item === 'string' || typeof item === 'number') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    bytes = Buffer.from(typeof item === 'string' ? item : jsonNumberText(item), 'utf8');
    len = bytes.length;
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    throw new FuncError(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((ix, i) => (idx[i] = indexArg(ix, len)));
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (bytes) return bytes.subarray(idx[0], idx[1]).toString('utf8');
  return (item as unknown[]).slice(idx[0], idx[1]);
}

function length(item: unknown): bigint {
  if (item === null) throw new FuncError('len of nil pointer');
  if (item === undefined) throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
  if (typeof item === 'string') return BigInt(utf8Len(item));
  if (typeof item === 'number') return BigInt(jsonNumberText(item).length);
  if (Array.isArray(item)) return BigInt(item.length);
  if (isMap(item)) return BigInt(Object.keys(item).length);
  throw new FuncError(`len of type ${typeName(item)}`);
}

// ---- comparison ------------------------------------------------------------

type BasicKind = 'invalid' | 'bool' | 'int' | 'float' | 'string';

function basicKind(v: unknown): BasicKind {
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'bigint': return 'int';
    case 'string': case 'number': return 'string';
  }
  if (v instanceof GoFloat) return 'float';
  if (v instanceof GoInt64) return 'int';
  return 'invalid';
}

function stringOf(v: unknown): string {
  return typeof v === 'number' ? jsonNumberText(v) : (v as string);
}

function isValid(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  if (arg2.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (isValid(arg1) && isValid(arg)) {
        throw new FuncError(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg)}`);
      }
    } else {
      switch (k1) {
        case 'bool': truth = arg1 === arg; break;
        case 'int': truth = intValue(arg1 as bigint) === intValue(arg as bigint); break;
        case 'float': truth = (arg1 as GoFloat).value === (arg as GoFloat).value; break;
        case 'string': truth = stringOf(arg1) === stringOf(arg); break;
        default: {
          const c1 = kindOf(arg1);
          const c2 = kindOf(arg);
          if (c1 !== c2 && c1 !== 'invalid' && c2 !== 'invalid') {
            throw new FuncError(`non-comparable types ${formatVerb(arg1, 's')}: ${typeName(arg1)}, ${typeName(arg)}: ${formatV(arg)}`);
          }
          if (!isValid(arg1) || !isValid(arg)) truth = isValid(arg1) === isValid(arg);
          else if (arg instanceof GoTime && arg1 instanceof GoTime) truth = arg.ms === arg1.ms && arg.offsetMin === arg1.offsetMin;
          else if (typeof arg === 'function') truth = arg === arg1;
          else throw new FuncError(`non-comparable type ${formatVerb(arg, 's')}: ${typeName(arg)}`);
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

export function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new FuncError('invalid type for comparison');
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) throw new FuncError(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg2)}`);
  switch (k1) {
    case 'bool': throw new FuncError('invalid type for comparison');
    case 'int': return intValue(arg1 as bigint) < intValue(arg2 as bigint);
    case 'float': return (arg1 as GoFloat).value < (arg2 as GoFloat).value;
    default: return stringOf(arg1) < stringOf(arg2);
  }
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

// ---- escaping --------------------------------------------------------------

function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  // Go turns each nil into the string "<no value>" (printableValue) before Sprint.
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0' ? '\uFFFD' : c === '"' ? '&#34;' : c === "'" ? '&#39;' : c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;');
}

const JS_PRINT = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || JS_PRINT.test(ch)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Values passed to interface{} parameters: a missing value becomes nil. */
function nilArg(v: unknown): unknown {
  return v === undefined ? null : v;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (fn === undefined || fn === null) throw new FuncError('call of nil');
  if (typeof fn !== 'function') throw new FuncError(`non-function of type ${typeName(fn)}`);
  return fn(...args);
}

/** The builtins other than and/or, keyed by name. */
export const BUILTINS: Record<string, NativeFunc> = {
  not: (a: unknown) => {
    switch (typeof a) {
      case 'boolean': return !a;
      case 'string': return a.length === 0;
    }
    return !truthy(a);
  },
  len: length,
  index,
  slice,
  print: (...args: unknown[]) => sprint(args.map(nilArg)),
  println: (...args: unknown[]) => sprintln(args.map(nilArg)),
  printf: (format: unknown, ...args: unknown[]) => {
    if (typeof format !== 'string') {
      if (format === undefined || format === null) throw new FuncError('invalid value; expected string');
      throw new FuncError(`wrong type for value; expected string; got ${typeName(format)}`);
    }
    return sprintf(format, args.map(nilArg));
  },
  eq,
  ne: (a: unknown, b: unknown) => !eq(a, b),
  lt,
  le,
  gt: (a: unknown, b: unknown) => !le(a, b),
  ge: (a: unknown, b: unknown) => !lt(a, b),
  html: (...args: unknown[]) => htmlEscape(evalArgs(args)),
  js: (...args: unknown[]) => jsEscape(evalArgs(args)),
  urlquery: (...args: unknown[]) => queryEscape(evalArgs(args)),
  call,
};
for (const f of Object.values(BUILTINS)) markNative(f);

export { goQuote };
