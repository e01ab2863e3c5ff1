// Recursive-descent parser for jq with gojq's precedences (lowest first):
// `|` (right) < `,` < `//` (right) < `= |= += …` (nonassoc) < `or` < `and` < comparisons (nonassoc)
// < `+ -` < `* / %` < unary minus < postfix (`.foo`, `[…]`, `?`, `as`).
import type { BinaryOp, FuncDef, Node, ObjectEntry, ObjectPatternEntry, Pattern, UpdateOp } from './ast.ts';
import { JqSyntaxError } from './errors.ts';
import { Lexer, describe, type Token } from './lexer.ts';

const IDENTITY: Node = { k: 'identity' };
const UPDATE_OPS = new Set(['=', '|=', '+=', '-=', '*=', '/=', '%=', '//=']);
const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

export function parse(src: string): Node {
  const p = new Parser(src);
  const node = p.parsePipe();
  const t = p.lex.peek();
  if (t.t !== 'eof') throw p.unexpected(t, 'end of input or an operator');
  return node;
}

class Parser {
  readonly lex: Lexer;
  constructor(src: string) {
    this.lex = new Lexer(src);
  }

  unexpected(t: Token, expected: string): JqSyntaxError {
    return new JqSyntaxError(this.lex.src, t.pos, `unexpected ${describe(t)}, expected ${expected}`);
  }

  private isPunct(v: string): boolean {
    const t = this.lex.peek();
    return t.t === 'punct' && t.v === v;
  }

  private isKeyword(v: string): boolean {
    const t = this.lex.peek();
    return t.t === 'keyword' && t.v === v;
  }

  private expectPunct(v: string): Token {
    const t = this.lex.next();
    if (t.t !== 'punct' || t.v !== v) throw this.unexpected(t, `"${v}"`);
    return t;
  }

  private expectKeyword(v: string): void {
    const t = this.lex.next();
    if (t.t !== 'keyword' || t.v !== v) throw this.unexpected(t, `"${v}"`);
  }

  private expectVar(): string {
    const t = this.lex.next();
    if (t.t !== 'var') throw this.unexpected(t, 'a variable ($name)');
    return t.v;
  }

  parsePipe(): Node {
    if (this.isKeyword('def')) {
      const def = this.parseFuncDef();
      return { k: 'funcdef', def, rest: this.parsePipe() };
    }
    if (this.isKeyword('label')) {
      this.lex.next();
      const name = this.expectVar();
      this.expectPunct('|');
      return { k: 'label', name, body: this.parsePipe() };
    }
    const left = this.parseComma();
    if (this.isPunct('|')) {
      this.lex.next();
      return { k: 'pipe', left, right: this.parsePipe() };
    }
    return left;
  }

  private parseFuncDef(): FuncDef {
    this.expectKeyword('def');
    const nameTok = this.lex.next();
    if (nameTok.t !== 'ident') throw this.unexpected(nameTok, 'a function name');
    const params: string[] = [];
    if (this.isPunct('(')) {
      this.lex.next();
      for (;;) {
        const t = this.lex.next();
        if (t.t === 'ident') params.push(t.v);
        else if (t.t === 'var') params.push('$' + t.v);
        else throw this.unexpected(t, 'a parameter name');
        if (this.isPunct(';')) {
          this.lex.next();
          continue;
        }
        this.expectPunct(')');
        break;
      }
    }
    this.expectPunct(':');
    const body = this.parsePipe();
    this.expectPunct(';');
    return { name: nameTok.v, params, body };
  }

  private parseComma(): Node {
    let left = this.parseBindable();
    while (this.isPunct(',')) {
      this.lex.next();
      left = { k: 'comma', left, right: this.parseBindable() };
    }
    return left;
  }

  /** `expr as $x | body`: the source is a whole expression (`1 + 2 as $x`), the body the rest of the pipe. */
  private parseBindable(): Node {
    const source = this.parseAlt();
    if (!this.isKeyword('as')) return source;
    this.lex.next();
    const patterns = this.parsePatterns();
    this.expectPunct('|');
    return { k: 'bind', source, patterns, body: this.parsePipe() };
  }

  private parseAlt(): Node {
    const left = this.parseUpdate();
    if (this.isPunct('//')) {
      this.lex.next();
      return { k: 'alt', left, right: this.parseAlt() };
    }
    return left;
  }

  private parseUpdate(): Node {
    const left = this.parseOr();
    const t = this.lex.peek();
    if (t.t === 'punct' && UPDATE_OPS.has(t.v)) {
      this.lex.next();
      const right = this.parseOr();
      const u = this.lex.peek();
      if (u.t === 'punct' && UPDATE_OPS.has(u.v)) throw this.unexpected(u, 'an expression (assignments do not chain)');
      return { k: 'update', op: t.v as UpdateOp, left, right };
    }
    return left;
  }

  private parseOr(): Node {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.lex.next();
      left = { k: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Node {
    let left = this.parseCompare();
    while (this.isKeyword('and')) {
      this.lex.next();
      left = { k: 'and', left, right: this.parseCompare() };
    }
    return left;
  }

  private parseCompare(): Node {
    const left = this.parseAdditive();
    const t = this.lex.peek();
    if (t.t === 'punct' && COMPARE_OPS.has(t.v)) {
      this.lex.next();
      const right = this.parseAdditive();
      const u = this.lex.peek();
      if (u.t === 'punct' && COMPARE_OPS.has(u.v)) throw this.unexpected(u, 'an operator other than a comparison (comparisons do not chain)');
      return { k: 'binop', op: t.v as BinaryOp, left, right };
    }
    return left;
  }

  private parseAdditive(): Node {
    let left = this.parseMultiplicative();
    for (;;) {
      const t = this.lex.peek();
      if (t.t !== 'punct' || (t.v !== '+' && t.v !== '-')) return left;
      this.lex.next();
      left = { k: 'binop', op: t.v, left, right: this.parseMultiplicative() };
    }
  }

  private parseMultiplicative(): Node {
    let left = this.parseUnary();
    for (;;) {
      const t = this.lex.peek();
      if (t.t !== 'punct' || (t.v !== '*' && t.v !== '/' && t.v !== '%')) return left;
      this.lex.next();
      left = { k: 'binop', op: t.v, left, right: this.parseUnary() };
    }
  }

  private parseUnary(): Node {
    if (this.isPunct('-')) {
      this.lex.next();
      const body = this.parseUnary();
      // fold `-1` into a literal so `.[-1]` is a constant index
      if (body.k === 'literal' && typeof body.value === 'number') return { k: 'literal', value: -body.value };
      return { k: 'neg', body };
    }
    if (this.isPunct('+')) {
      this.lex.next();
      return this.parseUnary();
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Node {
    let term = this.parsePrimary();
    // gojq: `?` after an indexing suffix guards only that last step (`.a.b?` is `.a | try .b`)
    let lastIsSuffix = false;
    for (;;) {
      const t = this.lex.peek();
      if (t.t === 'field') {
        this.lex.next();
        term = { k: 'index', target: term, index: { k: 'literal', value: t.v } };
        lastIsSuffix = true;
      } else if (t.t === 'punct' && t.v === '[') {
        term = this.parseBracketSuffix(term);
        lastIsSuffix = true;
      } else if (t.t === 'punct' && t.v === '.') {
        this.lex.next();
        const u = this.lex.peek();
        if (u.t === 'punct' && u.v === '[') term = this.parseBracketSuffix(term);
        else if (u.t === 'str') {
          this.lex.next();
          term = { k: 'index', target: term, index: this.parseStringBody(null) };
        } else throw this.unexpected(u, 'a field name, "[" or a string after "."');
        lastIsSuffix = true;
      } else if (t.t === 'punct' && t.v === '?') {
        this.lex.next();
        if (lastIsSuffix && (term.k === 'index' || term.k === 'slice' || term.k === 'iterate') && term.target.k !== 'identity') {
          const step: Node = { ...term, target: IDENTITY } as Node;
          term = { k: 'pipe', left: term.target, right: { k: 'try', body: step, handler: null } };
        } else {
          term = { k: 'try', body: term, handler: null };
        }
        lastIsSuffix = false;
      } else {
        return term;
      }
    }
  }

  /** `[]`, `[e]`, `[e:]`, `[:e]`, `[e:e]` after a term; the cursor is on `[`. */
  private parseBracketSuffix(target: Node): Node {
    this.expectPunct('[');
    if (this.isPunct(']')) {
      this.lex.next();
      return { k: 'iterate', target };
    }
    if (this.isPunct(':')) {
      this.lex.next();
      const to = this.parsePipe();
      this.expectPunct(']');
      return { k: 'slice', target, from: null, to };
    }
    const index = this.parsePipe();
    if (this.isPunct(':')) {
      this.lex.next();
      if (this.isPunct(']')) {
        this.lex.next();
        return { k: 'slice', target, from: index, to: null };
      }
      const to = this.parsePipe();
      this.expectPunct(']');
      return { k: 'slice', target, from: index, to };
    }
    this.expectPunct(']');
    return { k: 'index', target, index };
  }

  private parsePrimary(): Node {
    const t = this.lex.next();
    switch (t.t) {
      case 'field':
        return { k: 'index', target: IDENTITY, index: { k: 'literal', value: t.v } };
      case 'num':
        return { k: 'literal', value: t.num };
      case 'str':
        return this.parseStringBody(null);
      case 'format': {
        if (this.lex.peek().t === 'str') {
          this.lex.next();
          return this.parseStringBody(t.v);
        }
        return { k: 'format', name: t.v };
      }
      case 'var':
        return { k: 'var', name: t.v, pos: t.pos };
      case 'ident': {
        if (t.v === 'null') return { k: 'literal', value: null };
        if (t.v === 'true') return { k: 'literal', value: true };
        if (t.v === 'false') return { k: 'literal', value: false };
        if (t.v === 'break') return { k: 'break', name: this.expectVar(), pos: t.pos };
        const args: Node[] = [];
        if (this.isPunct('(')) {
          this.lex.next();
          for (;;) {
            args.push(this.parsePipe());
            if (this.isPunct(';')) {
              this.lex.next();
              continue;
            }
            this.expectPunct(')');
            break;
          }
        }
        return { k: 'call', name: t.v, args, pos: t.pos };
      }
      case 'keyword':
        return this.parseKeywordTerm(t);
      case 'punct':
        return this.parsePunctTerm(t);
      default:
        throw this.unexpected(t, 'a term');
    }
  }

  private parsePunctTerm(t: Token): Node {
    switch (t.v) {
      case '.': {
        const u = this.lex.peek();
        if (u.t === 'punct' && u.v === '[') return this.parseBracketSuffix(IDENTITY);
        if (u.t === 'str') {
          this.lex.next();
          return { k: 'index', target: IDENTITY, index: this.parseStringBody(null) };
        }
        return IDENTITY;
      }
      case '..':
        return { k: 'recurse' };
      case '(': {
        const body = this.parsePipe();
        this.expectPunct(')');
        return body;
      }
      case '[': {
        if (this.isPunct(']')) {
          this.lex.next();
          return { k: 'array', body: null };
        }
        const body = this.parsePipe();
        this.expectPunct(']');
        return { k: 'array', body };
      }
      case '{':
        return this.parseObject();
      default:
        throw this.unexpected(t, 'a term');
    }
  }

  private parseKeywordTerm(t: Token): Node {
    switch (t.v) {
      case 'if': {
        const cond = this.parsePipe();
        this.expectKeyword('then');
        const then = this.parsePipe();
        return { k: 'if', cond, then, else: this.parseIfRest() };
      }
      case 'try': {
        const body = this.parseUnary();
        let handler: Node | null = null;
        if (this.isKeyword('catch')) {
          this.lex.next();
          handler = this.parseUnary();
        }
        return { k: 'try', body, handler };
      }
      case 'reduce':
      case 'foreach': {
        const source = this.parseAlt();
        this.expectKeyword('as');
        const pattern = this.parsePattern();
        this.expectPunct('(');
        const init = this.parsePipe();
        this.expectPunct(';');
        const update = this.parsePipe();
        if (t.v === 'reduce') {
          this.expectPunct(')');
          return { k: 'reduce', source, pattern, init, update };
        }
        let extract: Node | null = null;
        if (this.isPunct(';')) {
          this.lex.next();
          extract = this.parsePipe();
        }
        this.expectPunct(')');
        return { k: 'foreach', source, pattern, init, update, extract };
      }
      case 'def': {
        // `def` in term position, e.g. inside parentheses: re-dispatch to the pipe level
        this.lex.reset(t.pos);
        return this.parsePipe();
      }
      case 'label': {
        const name = this.expectVar();
        this.expectPunct('|');
        return { k: 'label', name, body: this.parsePipe() };
      }
      case '__loc__':
      default:
        throw this.unexpected(t, 'a term');
    }
  }

  private parseIfRest(): Node {
    const t = this.lex.next();
    if (t.t === 'keyword' && t.v === 'elif') {
      const cond = this.parsePipe();
      this.expectKeyword('then');
      const then = this.parsePipe();
      return { k: 'if', cond, then, else: this.parseIfRest() };
    }
    if (t.t === 'keyword' && t.v === 'else') {
      const e = this.parsePipe();
      this.expectKeyword('end');
      return e;
    }
    if (t.t === 'keyword' && t.v === 'end') return IDENTITY;
    throw this.unexpected(t, '"elif", "else" or "end"');
  }

  private parseObject(): Node {
    const entries: ObjectEntry[] = [];
    if (this.isPunct('}')) {
      this.lex.next();
      return { k: 'object', entries };
    }
    for (;;) {
      entries.push(this.parseObjectEntry());
      const t = this.lex.next();
      if (t.t === 'punct' && t.v === '}') break;
      if (t.t !== 'punct' || t.v !== ',') throw this.unexpected(t, '"," or "}"');
      if (this.isPunct('}')) {
        this.lex.next();
        break;
      }
    }
    return { k: 'object', entries };
  }

  private parseObjectEntry(): ObjectEntry {
    const t = this.lex.next();
    let key: Node;
    if (t.t === 'var') {
      if (!this.isPunct(':')) return { key: { k: 'literal', value: t.v }, value: { k: 'var', name: t.v, pos: t.pos } };
      key = { k: 'var', name: t.v, pos: t.pos };
    } else if (t.t === 'ident' || t.t === 'keyword') {
      key = { k: 'literal', value: t.v };
    } else if (t.t === 'num') {
      key = { k: 'literal', value: t.num };
    } else if (t.t === 'str') {
      key = this.parseStringBody(null);
    } else if (t.t === 'format' && this.lex.peek().t === 'str') {
      this.lex.next();
      key = this.parseStringBody(t.v);
    } else if (t.t === 'punct' && t.v === '(') {
      key = this.parsePipe();
      this.expectPunct(')');
      if (!this.isPunct(':')) throw this.unexpected(this.lex.peek(), '":" after a computed object key');
    } else {
      throw this.unexpected(t, 'an object key');
    }
    if (!this.isPunct(':')) return { key, value: null };
    this.lex.next();
    return { key, value: this.parseObjectValue() };
  }

  /** Object values may pipe but not use `,` (it separates entries). */
  private parseObjectValue(): Node {
    const left = this.parseAlt();
    if (this.isPunct('|')) {
      this.lex.next();
      return { k: 'pipe', left, right: this.parseObjectValue() };
    }
    return left;
  }

  private parsePatterns(): Pattern[] {
    const patterns = [this.parsePattern()];
    // `?//` is lexed as `?` followed by `//`
    while (this.isPunct('?')) {
      const q = this.lex.next();
      const t = this.lex.next();
      if (t.t !== 'punct' || t.v !== '//' || t.pos !== q.end) throw this.unexpected(q, '"?//" or "|"');
      patterns.push(this.parsePattern());
    }
    return patterns;
  }

  private parsePattern(): Pattern {
    const t = this.lex.next();
    if (t.t === 'var') return { k: 'pvar', name: t.v };
    if (t.t === 'punct' && t.v === '[') {
      const elems: Pattern[] = [];
      for (;;) {
        elems.push(this.parsePattern());
        const u = this.lex.next();
        if (u.t === 'punct' && u.v === ']') break;
        if (u.t !== 'punct' || u.v !== ',') throw this.unexpected(u, '"," or "]"');
      }
      return { k: 'parray', elems };
    }
    if (t.t === 'punct' && t.v === '{') {
      const entries: ObjectPatternEntry[] = [];
      for (;;) {
        entries.push(this.parseObjectPatternEntry());
        const u = this.lex.next();
        if (u.t === 'punct' && u.v === '}') break;
        if (u.t !== 'punct' || u.v !== ',') throw this.unexpected(u, '"," or "}"');
      }
      return { k: 'pobject', entries };
    }
    throw this.unexpected(t, 'a pattern ($name, [...] or {...})');
  }

  private parseObjectPatternEntry(): ObjectPatternEntry {
    const t = this.lex.next();
    let key: Node;
    if (t.t === 'var') {
      if (!this.isPunct(':')) return { key: { k: 'literal', value: t.v }, keyVar: t.v, value: null };
      this.lex.next();
      return { key: { k: 'literal', value: t.v }, keyVar: t.v, value: this.parsePattern() };
    } else if (t.t === 'ident' || t.t === 'keyword') {
      key = { k: 'literal', value: t.v };
    } else if (t.t === 'str') {
      key = this.parseStringBody(null);
    } else if (t.t === 'punct' && t.v === '(') {
      key = this.parsePipe();
      this.expectPunct(')');
    } else {
      throw this.unexpected(t, 'an object pattern key');
    }
    this.expectPunct(':');
    return { key, keyVar: null, value: this.parsePattern() };
  }

  /** Scans a string literal whose opening quote was just consumed; handles escapes and `\(...)`. */
  private parseStringBody(format: string | null): Node {
    const src = this.lex.src;
    let p = this.lex.pos;
    const parts: (string | Node)[] = [];
    let buf = '';
    for (;;) {
      if (p >= src.length) throw new JqSyntaxError(src, p, 'unterminated string literal, expected "\\""');
      const c = src[p]!;
      if (c === '"') {
        p++;
        break;
      }
      if (c !== '\\') {
        buf += c;
        p++;
        continue;
      }
      const e = src[p + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          buf += e;
          p += 2;
          break;
        case 'b':
          buf += '\b';
          p += 2;
          break;
        case 'f':
          buf += '\f';
          p += 2;
          break;
        case 'n':
          buf += '\n';
          p += 2;
          break;
        case 'r':
          buf += '\r';
          p += 2;
          break;
        case 't':
          buf += '\t';
          p += 2;
          break;
        case 'u': {
          const hex = src.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JqSyntaxError(src, p, 'invalid \\u escape, expected 4 hex digits');
          buf += String.fromCharCode(parseInt(hex, 16));
          p += 6;
          break;
        }
        case '(': {
          if (buf !== '') parts.push(buf);
          buf = '';
          this.lex.reset(p + 2);
          parts.push(this.parsePipe());
          const close = this.lex.next();
          if (close.t !== 'punct' || close.v !== ')') throw this.unexpected(close, '")" closing the string interpolation');
          p = close.end;
          break;
        }
        default:
          throw new JqSyntaxError(src, p, `invalid escape sequence "\\${e ?? ''}" in string`);
      }
    }
    this.lex.reset(p);
    if (buf !== '' || parts.length === 0) parts.push(buf);
    if (format === null && parts.length === 1 && typeof parts[0] === 'string') return { k: 'literal', value: parts[0] };
    return { k: 'string', parts, format };
  }
}
