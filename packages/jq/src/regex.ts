// Regular-expression builtins (test, match, split/2, sub) on JavaScript's RegExp.
// gojq uses Go's RE2 syntax and the flags g, i, m (m = dot matches newline); we accept those plus
// jq's x (extended), n (ignore empty matches), s/p (treated like m) and l (ignored). Offsets and
// lengths are in code points. Look-around and backreferences work here although RE2 rejects them.
import type { Node } from './ast.ts';
import { JqRuntimeError } from './errors.ts';
import { collect, type Native } from './interpreter.ts';
import { NO_PATH } from './interpreter.ts';
import { add } from './operators.ts';
import { preview, setOwn, typeErrorPreview } from './values.ts';

interface Compiled {
  re: RegExp;
  global: boolean;
  skipEmpty: boolean;
  names: (string | null)[];
}

const cache = new Map<string, Compiled>();

function groupNames(src: string): (string | null)[] {
  const names: (string | null)[] = [];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c !== '(') continue;
    if (src[i + 1] !== '?') {
      names.push(null);
      continue;
    }
    const m = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
    if (m) names.push(m[1]!);
  }
  return names;
}

function stripExtended(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      out += c + (src[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

export function compileRegex(name: string, re: unknown, flags: unknown, input: unknown): Compiled {
  // jq also accepts `match([re, flags])`
  if (Array.isArray(re) && (flags === null || flags === undefined)) {
    flags = re[1] ?? null;
    re = re[0];
  }
  if (typeof re !== 'string' || (flags !== null && flags !== undefined && typeof flags !== 'string') || typeof input !== 'string') {
    throw new JqRuntimeError(`${name}(${preview(re)}; ${preview(flags ?? null)}) cannot be applied to: ${typeErrorPreview(input)}`);
  }
  const f = (flags as string | null) ?? '';
  const key = f + '\u0000' + re;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (/[^gimnpslx]/.test(f)) throw new JqRuntimeError(`unsupported regular expression flag: ${JSON.stringify(f)}`);
  let src = f.includes('x') ? stripExtended(re) : re;
  let jsFlags = 'gd';
  const inline = /^\(\?([imsU]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    if (inline[1]!.includes('i')) jsFlags += 'i';
    if (inline[1]!.includes('s')) jsFlags += 's';
  }
  src = src.replace(/\(\?P</g, '(?<');
  if (f.includes('i') && !jsFlags.includes('i')) jsFlags += 'i';
  if (/[msp]/.test(f) && !jsFlags.includes('s')) jsFlags += 's';
  let compiled: RegExp;
  try {
    compiled = new RegExp(src, jsFlags + 'u');
  } catch {
    try {
      compiled = new RegExp(src, jsFlags);
    } catch (e) {
      throw new JqRuntimeError(`invalid regular expression ${JSON.stringify(re)}: ${(e as Error).message}`);
    }
  }
  const out: Compiled = { re: compiled, global: f.includes('g'), skipEmpty: f.includes('n'), names: groupNames(src) };
  if (cache.size > 1000) cache.clear();
  cache.set(key, out);
  return out;
}

/** Converts UTF-16 offsets of `s` to code point offsets. */
function offsetMapper(s: string): (i: number) => number {
  if (!/[\ud800-\udbff]/.test(s)) return (i) => i;
  return (i) => {
    let n = 0;
    for (let j = 0; j < i; j++) {
      const c = s.charCodeAt(j);
      if (c < 0xd800 || c > 0xdbff) n++;
    }
    return n;
  };
}

interface RawMatch {
  start: number;
  end: number;
  m: RegExpExecArray;
}

function execAll(c: Compiled, s: string): RawMatch[] {
  const re = c.re;
  re.lastIndex = 0;
  const out: RawMatch[] = [];
  for (;;) {
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) {
      re.lastIndex = start + (re.unicode && s.codePointAt(start)! > 0xffff ? 2 : 1);
      if (c.skipEmpty) {
        if (start >= s.length) break;
        continue;
      }
    }
    out.push({ start, end, m });
    if (!c.global || start >= s.length) break;
  }
  return out;
}

function toMatchObject(c: Compiled, r: RawMatch, cp: (i: number) => number): Record<string, unknown> {
  const captures: unknown[] = [];
  const indices = r.m.indices!;
  for (let g = 1; g < r.m.length; g++) {
    const span = indices[g];
    const name = c.names[g - 1] ?? null;
    if (span === undefined) captures.push({ offset: -1, length: 0, string: null, name });
    else {
      const off = cp(span[0]);
      captures.push({ offset: off, length: cp(span[1]) - off, string: r.m[g], name });
    }
  }
  const offset = cp(r.start);
  return { offset, length: cp(r.end) - offset, string: r.m[0], captures };
}

export function matchObjects(input: unknown, re: unknown, flags: unknown): Record<string, unknown>[] {
  const c = compileRegex('match', re, flags, input);
  const s = input as string;
  const cp = offsetMapper(s);
  return execAll(c, s).map((r) => toMatchObject(c, r, cp));
}

type DefValue = (name: string, arity: number, f: (input: unknown, ...args: unknown[]) => unknown) => void;
type DefNative = (name: string, arity: number, f: Native) => void;

export function regexBuiltins(defValue: DefValue, defNative: DefNative): void {
  defValue('test', 1, (v, re) => execAll(compileRegex('test', re, null, v), v as string).length > 0);
  defValue('test', 2, (v, re, flags) => execAll(compileRegex('test', re, flags, v), v as string).length > 0);
  const matchNative: Native = (input, path, args, env, emit) => {
    const p = path === null ? null : NO_PATH;
    for (const re of collect(args[0]!, input, env)) {
      const flagsList = args.length > 1 ? collect(args[1]!, input, env) : [null];
      for (const flags of flagsList) for (const m of matchObjects(input, re, flags)) emit(m, p);
    }
  };
  defNative('match', 1, matchNative);
  defNative('match', 2, matchNative);
  defValue('split', 2, (v, re, flags) => {
    const c = compileRegex('split', re, (typeof flags === 'string' ? flags : '') + 'g', v);
    const s = v as string;
    const out: string[] = [];
    let prev = 0;
    for (const r of execAll(c, s)) {
      out.push(s.slice(prev, r.start));
      prev = r.end;
    }
    out.push(s.slice(prev));
    return out;
  });
  // gojq's sub: the i-th output of the replacement builds the i-th result across all matches;
  // no output at all leaves the string unchanged
  defNative('sub', 3, (input, path, args, env, emit) => {
    const p = path === null ? null : NO_PATH;
    const str: Node = args[1]!;
    for (const re of collect(args[0]!, input, env)) {
      for (const flags of collect(args[2]!, input, env)) {
        const c = compileRegex('sub', re, flags, input);
        const s = input as string;
        const results: unknown[] = [];
        let next = 0;
        for (const r of execAll(c, s)) {
          const captures: Record<string, unknown> = {};
          for (let g = 1; g < r.m.length; g++) {
            const name = c.names[g - 1];
            if (name) setOwn(captures, name, r.m[g] ?? null);
          }
          const segment = s.slice(next, r.start);
          collect(str, captures, env).forEach((rep, i) => {
            results[i] = add(results[i] ?? null, add(segment, rep));
          });
          next = r.end;
        }
        if (results.length === 0) emit(s, p);
        else for (const r of results) emit(add(r, s.slice(next)), p);
      }
    }
  });
}
