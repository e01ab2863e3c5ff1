// Label selectors: the string syntax of labels.Parse and the object form of metav1.LabelSelector,
// with k8s' parse errors and matching rules.
import { formatFieldError, fieldErrors } from './errors.ts';
import { validateLabelValue, validateQualifiedName } from './names.ts';

/** selection.Operator spellings. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, de-duplicated (k8s keeps a string set). */
  readonly values: readonly string[];
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

// ---- lexer (labels.Lexer) ----
const enum_ = {
  Error: 0,
  EOS: 1,
  ClosedPar: 2,
  Comma: 3,
  DoesNotExist: 4,
  DoubleEquals: 5,
  Equals: 6,
  GreaterThan: 7,
  Identifier: 8,
  In: 9,
  LessThan: 10,
  NotEquals: 11,
  NotIn: 12,
  OpenPar: 13,
} as const;
type Tok = (typeof enum_)[keyof typeof enum_];
const T = enum_;

const STRING_TO_TOKEN: Record<string, Tok> = {
  ')': T.ClosedPar,
  ',': T.Comma,
  '!': T.DoesNotExist,
  '==': T.DoubleEquals,
  '=': T.Equals,
  '>': T.GreaterThan,
  in: T.In,
  '<': T.LessThan,
  '!=': T.NotEquals,
  notin: T.NotIn,
  '(': T.OpenPar,
};
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);

function lex(s: string): Array<[Tok, string]> {
  const items: Array<[Tok, string]> = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push([T.EOS, '']);
      return items;
    }
    if (isSpecial(s[pos]!)) {
      // Longest run of special symbols that still forms a known token.
      let buf = '';
      let last: [Tok, string] | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buf += s[pos];
        const tok = STRING_TO_TOKEN[buf];
        if (tok !== undefined) {
          last = [tok, buf];
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? [T.Error, `error expected: keyword found '${buf}'`]);
      continue;
    }
    let buf = '';
    while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) buf += s[pos++];
    const tok = STRING_TO_TOKEN[buf];
    items.push([tok !== undefined ? tok : T.Identifier, buf]);
  }
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

class Parser {
  private readonly items: Array<[Tok, string]>;
  private pos = 0;
  constructor(s: string) {
    this.items = lex(s);
  }
  // In the "values" context the keywords in/notin are plain identifiers.
  private look(values: boolean): [Tok, string] {
    const [t, l] = this.items[this.pos]!;
    return [values && (t === T.In || t === T.NotIn) ? T.Identifier : t, l];
  }
  private take(values: boolean): [Tok, string] {
    const r = this.look(values);
    this.pos++;
    return r;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const [tok, lit] = this.look(true);
      if (tok === T.Identifier || tok === T.DoesNotExist) {
        let r: LabelRequirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          throw new Error(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const [t, l] = this.take(true);
        if (t === T.EOS) return reqs;
        if (t === T.Comma) {
          const [t2, l2] = this.look(true);
          if (t2 !== T.Identifier && t2 !== T.DoesNotExist) throw new Error(`found '${l2}', expected: identifier after ','`);
        } else {
          throw new Error(`found '${l}', expected: ',' or 'end of string'`);
        }
      } else if (tok === T.EOS) {
        return reqs;
      } else {
        throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    let op: LabelOperator | undefined;
    let [tok, key] = this.take(true);
    if (tok === T.DoesNotExist) {
      op = '!';
      [tok, key] = this.take(true);
    }
    if (tok !== T.Identifier) throw new Error(`found '${key}', expected: identifier`);
    const keyErrs = validateQualifiedName(key);
    if (keyErrs.length) throw new Error(formatFieldError(fieldErrors.invalid('<nil>', key, keyErrs.join('; '))));
    const [next] = this.look(true);
    // `!key` is always unary; whatever follows it is then reported by the caller.
    if (op === '!') return newRequirement(key, '!', []);
    if (next === T.EOS || next === T.Comma) return newRequirement(key, 'exists', []);
    const [otok, olit] = this.take(false);
    switch (otok) {
      case T.In: op = 'in'; break;
      case T.NotIn: op = 'notin'; break;
      case T.Equals: op = '='; break;
      case T.DoubleEquals: op = '=='; break;
      case T.NotEquals: op = '!='; break;
      case T.GreaterThan: op = 'gt'; break;
      case T.LessThan: op = 'lt'; break;
      default:
        throw new Error(`found '${olit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, values);
  }

  private parseValues(): string[] {
    const [tok, lit] = this.take(true);
    if (tok !== T.OpenPar) throw new Error(`found '${lit}' expected: '('`);
    const [t2, l2] = this.look(true);
    if (t2 === T.Identifier || t2 === T.Comma) {
      const s = this.parseIdentifiersList();
      const [t3] = this.take(true);
      if (t3 !== T.ClosedPar) throw new Error(`found '${l2}', expected: ')'`);
      return s;
    }
    if (t2 === T.ClosedPar) {
      this.take(true);
      return [''];
    }
    throw new Error(`found '${l2}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const [tok, lit] = this.take(true);
      if (tok === T.Identifier) {
        s.add(lit);
        const [t2, l2] = this.look(true);
        if (t2 === T.Comma) continue;
        if (t2 === T.ClosedPar) return [...s];
        throw new Error(`found '${l2}', expected: ',' or ')'`);
      } else if (tok === T.Comma) {
        if (s.size === 0) s.add('');
        const [t2] = this.look(true);
        if (t2 === T.ClosedPar || t2 === T.Comma) {
          s.add('');
          if (t2 === T.ClosedPar) return [...s];
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const [tok] = this.look(true);
    if (tok === T.EOS || tok === T.Comma) return [''];
    const [t2, lit] = this.take(true);
    if (t2 === T.Identifier) return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

const INT64_RE = /^[+-]?\d+$/;

/** labels.NewRequirement: checks operator/value arity and label syntax; throws with k8s' text. */
export function newRequirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  const keyErrs = validateQualifiedName(key);
  if (keyErrs.length) throw new Error(formatFieldError(fieldErrors.invalid('key', key, keyErrs.join('; '))));
  const vals = [...new Set(values)].sort();
  switch (operator) {
    case 'in':
    case 'notin':
      if (vals.length === 0) throw new Error(formatFieldError(fieldErrors.invalid('values', vals, "for 'in', 'notin' operators, values set can't be empty")));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) throw new Error(formatFieldError(fieldErrors.invalid('values', vals, 'exact-match compatibility requires one single value')));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) throw new Error(formatFieldError(fieldErrors.invalid('values', vals, 'values set must be empty for exists and does not exist')));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) throw new Error(formatFieldError(fieldErrors.invalid('values', vals, "for 'Gt', 'Lt' operators, exactly one value is required")));
      for (let i = 0; i < vals.length; i++) {
        if (!INT64_RE.test(vals[i]!)) {
          throw new Error(formatFieldError(fieldErrors.invalid(`values[${i}]`, vals[i], "for 'Gt', 'Lt' operators, the value must be an integer")));
        }
      }
      break;
    default:
      throw new Error(formatFieldError(fieldErrors.notSupported('operator', operator, ['!', '=', '==', 'in', '!=', 'notin', 'exists', 'gt', 'lt'])));
  }
  for (let i = 0; i < vals.length; i++) {
    const errs = validateLabelValue(vals[i]!);
    if (errs.length) throw new Error(formatFieldError(fieldErrors.invalid(`values[${i}][${key}]`, vals[i], errs.join('; '))));
  }
  return { key, operator, values: vals };
}

function matchRequirement(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(labels![r.key]!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(labels![r.key]!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has) return false;
      const v = labels![r.key]!;
      if (!INT64_RE.test(v)) return false;
      const lv = BigInt(v);
      const rv = BigInt(r.values[0]!);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

const OBJECT_OPERATORS: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

export class LabelSelector {
  readonly requirements: LabelRequirement[];
  /** A selector that matches nothing (a nil metav1.LabelSelector). */
  private readonly nothing: boolean;

  private constructor(requirements: LabelRequirement[], nothing = false) {
    // Sorted by key, as k8s does, for a deterministic string form.
    this.requirements = requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.nothing = nothing;
  }

  /** labels.Parse. Throws Error with k8s' message on bad syntax. */
  static parse(s: string): LabelSelector {
    return new LabelSelector(new Parser(s).parse());
  }

  static everything(): LabelSelector {
    return new LabelSelector([]);
  }

  static nothingSelector(): LabelSelector {
    return new LabelSelector([], true);
  }

  /** An exact-match selector from a label set (labels.SelectorFromSet). */
  static fromSet(set: Record<string, string>): LabelSelector {
    return new LabelSelector(Object.entries(set).map(([k, v]) => newRequirement(k, '=', [v])));
  }

  /**
   * metav1.LabelSelectorAsSelector: null/undefined selects nothing, `{}` everything.
   * Operators In, NotIn, Exists, DoesNotExist (and Gt, Lt as in node selector terms).
   */
  static fromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
    if (sel === null || sel === undefined) return LabelSelector.nothingSelector();
    const reqs: LabelRequirement[] = [];
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
    for (const expr of sel.matchExpressions ?? []) {
      const op = OBJECT_OPERATORS[expr.operator];
      if (!op) throw new Error(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
      reqs.push(newRequirement(expr.key, op, expr.values ?? []));
    }
    return new LabelSelector(reqs);
  }

  matches(labels?: Record<string, string> | null): boolean {
    if (this.nothing) return false;
    const l = labels ?? undefined;
    for (const r of this.requirements) if (!matchRequirement(r, l)) return false;
    return true;
  }

  /** True when it selects everything. */
  isEmpty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}
