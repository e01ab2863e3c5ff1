// Arithmetic and comparison operators with jq's type rules and gojq's error wording.
import type { BinaryOp } from './ast.ts';
import { JqRuntimeError } from './errors.ts';
import { compare, equals, isObject, setOwn, typeErrorPreview, type JsonObject } from './values.ts';

function binopError(name: string, l: unknown, r: unknown): JqRuntimeError {
  return new JqRuntimeError(`cannot ${name}: ${typeErrorPreview(l)} and ${typeErrorPreview(r)}`);
}

export function add(l: unknown, r: unknown): unknown {
  if (l === null || l === undefined) return r === undefined ? null : r;
  if (r === null || r === undefined) return l;
  if (typeof l === 'number' && typeof r === 'number') return l + r;
  if (typeof l === 'string' && typeof r === 'string') return l + r;
  if (Array.isArray(l) && Array.isArray(r)) return l.concat(r);
  if (isObject(l) && isObject(r)) return { ...l, ...r };
  throw binopError('add', l, r);
}

export function subtract(l: unknown, r: unknown): unknown {
  if (typeof l === 'number' && typeof r === 'number') return l - r;
  if (Array.isArray(l) && Array.isArray(r)) return l.filter((x) => !r.some((y) => equals(x, y)));
  throw binopError('subtract', l, r);
}

function repeatString(s: string, n: number): unknown {
  // gojq: negative or NaN => null, otherwise floor(n) copies (so 0.5 => "")
  if (n < 0 || Number.isNaN(n)) return null;
  const count = s === '' ? 0 : Math.floor(n);
  if (s.length * count > 1e8) throw new JqRuntimeError(`repeat string result too large: ${JSON.stringify(s)} * ${n}`);
  return s.repeat(count);
}

function deepMerge(l: JsonObject, r: JsonObject): JsonObject {
  const out: JsonObject = { ...l };
  for (const k of Object.keys(r)) {
    const a = out[k];
    const b = r[k];
    setOwn(out, k, isObject(a) && isObject(b) ? deepMerge(a, b) : b);
  }
  return out;
}

export function multiply(l: unknown, r: unknown): unknown {
  if (typeof l === 'number' && typeof r === 'number') return l * r;
  if (typeof l === 'string' && typeof r === 'number') return repeatString(l, r);
  if (typeof l === 'number' && typeof r === 'string') return repeatString(r, l);
  if (isObject(l) && isObject(r)) return deepMerge(l, r);
  throw binopError('multiply', l, r);
}

export function divide(l: unknown, r: unknown): unknown {
  if (typeof l === 'number' && typeof r === 'number') {
    if (r === 0) throw new JqRuntimeError(`cannot divide ${typeErrorPreview(l)} by: ${typeErrorPreview(r)}`);
    return l / r;
  }
  if (typeof l === 'string' && typeof r === 'string') return splitString(l, r);
  throw binopError('divide', l, r);
}

export function splitString(s: string, sep: string): string[] {
  if (s === '') return [];
  if (sep === '') return Array.from(s);
  return s.split(sep);
}

export function modulo(l: unknown, r: unknown): unknown {
  if (typeof l === 'number' && typeof r === 'number') {
    const a = Math.trunc(l);
    const b = Math.trunc(r);
    if (b === 0 || Number.isNaN(b)) throw new JqRuntimeError(`cannot modulo ${typeErrorPreview(l)} by: ${typeErrorPreview(r)}`);
    const m = a % b;
    return m === 0 ? 0 : m;
  }
  throw binopError('modulo', l, r);
}

export function binary(op: BinaryOp, l: unknown, r: unknown): unknown {
  switch (op) {
    case '+':
      return add(l, r);
    case '-':
      return subtract(l, r);
    case '*':
      return multiply(l, r);
    case '/':
      return divide(l, r);
    case '%':
      return modulo(l, r);
    case '==':
      return equals(l, r);
    case '!=':
      return !equals(l, r);
    case '<':
      return compare(l, r) < 0;
    case '<=':
      return compare(l, r) <= 0;
    case '>':
      return compare(l, r) > 0;
    case '>=':
      return compare(l, r) >= 0;
  }
}
