// Go parameter types of template functions. Go checks every argument against
// the function's parameter type before calling it ("wrong type for value;
// expected string; got json.Number", "expected integer; found \"x\""), so a
// function with a signature gets the same checks here.
//
// A signature is one letter per parameter, the last optionally followed by
// '*' for a variadic parameter:
//   s string   i int   b bool   m map[string]interface {}   l []interface {}
//   t time.Time   a interface{} (anything)

import type { ArgNode } from './ast.ts';
import { nodeString } from './ast.ts';
import { GoTime, isMap, typeName } from './values.ts';

export interface Signature {
  params: string[];
  variadic: boolean;
}

const signatures = new WeakMap<Function, Signature>();

/** Attach Go parameter types to a template function (see the letters above). */
export function withSignature<T extends Function>(fn: T, sig: string): T {
  const variadic = sig.endsWith('*');
  signatures.set(fn, { params: [...sig.replace('*', '')], variadic });
  return fn;
}

export function signatureOf(fn: Function): Signature | undefined {
  return signatures.get(fn);
}

const GO_TYPE: Record<string, string> = {
  s: 'string', i: 'int', b: 'bool', m: 'map[string]interface {}', l: '[]interface {}', t: 'time.Time', a: 'interface {}',
};

export function paramAt(sig: Signature, i: number): string {
  if (i < sig.params.length - (sig.variadic ? 1 : 0)) return sig.params[i]!;
  return sig.params[sig.params.length - 1]!;
}

/** Arity error text, or null when the count fits. */
export function arityError(name: string, sig: Signature, n: number): string | null {
  if (sig.variadic) {
    const min = sig.params.length - 1;
    return n < min ? `wrong number of args for ${name}: want at least ${min} got ${n}` : null;
  }
  return n !== sig.params.length ? `wrong number of args for ${name}: want ${sig.params.length} got ${n}` : null;
}

/**
 * Go's evalArg for a literal argument of a typed parameter: the literal must
 * have the parameter's syntax. Returns an error text or null.
 */
export function literalError(kind: string, node: ArgNode): string | null {
  if (kind === 'a') return null;
  if (node.kind === 'nil') return kind === 'm' || kind === 'l' ? null : `cannot assign nil to ${GO_TYPE[kind]}`;
  const lit = node.kind === 'string' || node.kind === 'number' || node.kind === 'bool';
  if (!lit) return null;
  switch (kind) {
    case 's': return node.kind === 'string' ? null : `expected string; found ${nodeString(node)}`;
    case 'i': return node.kind === 'number' && !node.isFloat ? null : `expected integer; found ${nodeString(node)}`;
    case 'b': return node.kind === 'bool' ? null : `expected bool; found ${nodeString(node)}`;
    default: return `can't handle ${nodeString(node)} for arg of type ${GO_TYPE[kind]}`;
  }
}

/** Go's validateType for an evaluated value. Returns an error text or null. */
export function valueError(kind: string, v: unknown): string | null {
  if (kind === 'a') return null;
  if (v === undefined) return kind === 'm' || kind === 'l' ? null : `invalid value; expected ${GO_TYPE[kind]}`;
  let ok: boolean;
  switch (kind) {
    case 's': ok = typeof v === 'string'; break;
    case 'i': ok = typeof v === 'bigint'; break;
    case 'b': ok = typeof v === 'boolean'; break;
    case 'm': ok = isMap(v); break;
    case 'l': ok = Array.isArray(v); break;
    case 't': ok = v instanceof GoTime; break;
    default: ok = true;
  }
  if (ok) return null;
  // A nil taken from a map keeps Go type interface {}; other values report their own type.
  const got = v === null ? 'interface {}' : typeName(v);
  return `wrong type for value; expected ${GO_TYPE[kind]}; got ${got}`;
}

/** Sprig v3's parameter types (github.com/Masterminds/sprig functions.go and friends). */
export const SPRIG_SIGNATURES: Record<string, string> = {
  // strings
  upper: 's', lower: 's', title: 's', untitle: 's', substr: 'iis', repeat: 'is', trim: 's', trimAll: 'ss',
  trimSuffix: 'ss', trimPrefix: 'ss', nospace: 's', abbrev: 'is', trunc: 'is', initials: 's',
  randAlphaNum: 'i', randAlpha: 'i', randAscii: 'i', randNumeric: 'i', swapcase: 's', shuffle: 's',
  snakecase: 's', camelcase: 's', kebabcase: 's', wrap: 'is', contains: 'ss', hasPrefix: 'ss', hasSuffix: 'ss',
  quote: 'a*', squote: 'a*', cat: 'a*', indent: 'is', nindent: 'is', replace: 'sss', plural: 'ssi',
  sha1sum: 's', sha256sum: 's', sha512sum: 's', adler32sum: 's', toString: 'a', atoi: 's', int64: 'a', int: 'a',
  float64: 'a', seq: 'i*', toDecimal: 'a', split: 'ss', splitList: 'ss', splitn: 'sis', toStrings: 'a',
  until: 'i', untilStep: 'iii',
  // numbers
  add1: 'a', add: 'a*', sub: 'aa', div: 'aa', mod: 'aa', mul: 'aa*', randInt: 'ii', add1f: 'a', addf: 'a*',
  subf: 'aa*', divf: 'aa*', mulf: 'aa*', biggest: 'aa*', max: 'aa*', min: 'aa*', maxf: 'aa*', minf: 'aa*',
  ceil: 'a', floor: 'a', round: 'aia*',
  // lists and strings of lists
  join: 'sa', sortAlpha: 'a',
  // dates
  now: '', date: 'sa', dateInZone: 'sas', date_in_zone: 'sas', htmlDate: 'a', htmlDateInZone: 'as',
  dateModify: 'st', unixEpoch: 't', ago: 'a', duration: 'a', durationRound: 'a',
  // defaults and reflection
  default: 'aa*', empty: 'a', coalesce: 'a*', all: 'a*', any: 'a*', compact: 'a', deepCopy: 'a', toJson: 'a',
  toPrettyJson: 'a', toRawJson: 'a', ternary: 'aab', deepEqual: 'aa', typeOf: 'a', typeIs: 'sa', typeIsLike: 'sa',
  kindOf: 'a', kindIs: 'sa',
  // os and paths
  env: 's', expandenv: 's', base: 's', dir: 's', clean: 's', ext: 's', isAbs: 's',
  // encoding
  b64enc: 's', b64dec: 's', b32enc: 's',
  // lists
  list: 'a*', tuple: 'a*', first: 'a', last: 'a', rest: 'a', initial: 'a', append: 'aa', push: 'aa', prepend: 'aa',
  concat: 'a*', reverse: 'a', uniq: 'a', without: 'aa*', has: 'aa', slice: 'aa*', chunk: 'ia',
  // dicts
  dict: 'a*', get: 'ms', set: 'msa', unset: 'ms', hasKey: 'ms', keys: 'm*', values: 'm', pluck: 'sm*',
  pick: 'ms*', omit: 'ms*', dig: 'a*', merge: 'mm*', mergeOverwrite: 'mm*',
  // regex
  regexMatch: 'ss', regexFind: 'ss', regexFindAll: 'ssi', regexReplaceAll: 'sss', regexReplaceAllLiteral: 'sss',
  regexSplit: 'ssi', regexQuoteMeta: 's',
  // misc
  uuidv4: '', fail: 's',
};
