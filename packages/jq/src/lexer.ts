// Tokenizer for jq programs. Strings are not tokenized here: the parser scans them itself because
// `\(...)` interpolation nests whole programs inside a string literal.
import { JqSyntaxError } from './errors.ts';

export type TokenType = 'punct' | 'ident' | 'keyword' | 'field' | 'var' | 'num' | 'format' | 'str' | 'eof';

export interface Token {
  t: TokenType;
  /** punct text, identifier/field/variable/format name (without `.`, `$`, `@`) */
  v: string;
  num: number;
  pos: number;
  end: number;
}

export const KEYWORDS = new Set([
  'as', 'def', 'if', 'then', 'elif', 'else', 'end', 'and', 'or', 'reduce', 'foreach',
  'try', 'catch', 'label', 'import', 'include', 'module', '__loc__',
]);

const PUNCTS = [
  '//=', '|=', '+=', '-=', '*=', '/=', '%=', '==', '!=', '<=', '>=', '//', '..',
  '.', '[', ']', '{', '}', '(', ')', '|', ',', ':', ';', '?', '=', '<', '>', '+', '-', '*', '/', '%',
];

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export class Lexer {
  readonly src: string;
  pos = 0;
  private peeked: Token | null = null;

  constructor(src: string) {
    this.src = src;
  }

  error(pos: number, detail: string): JqSyntaxError {
    return new JqSyntaxError(this.src, pos, detail);
  }

  peek(): Token {
    if (this.peeked === null) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  /** Moves the cursor (used when the parser resumes scanning a string after `\(...)`). */
  reset(pos: number): void {
    this.pos = pos;
    this.peeked = null;
  }

  private skipSpace(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') {
        // a comment runs to the end of the line; an odd number of backslashes before the line
        // break continues it (jq 1.7 / gojq)
        for (;;) {
          while (this.pos < s.length && s[this.pos] !== '\n' && s[this.pos] !== '\r') this.pos++;
          let backslashes = 0;
          for (let p = this.pos - 1; p >= 0 && s[p] === '\\'; p--) backslashes++;
          if (this.pos >= s.length || backslashes % 2 === 0) break;
          this.pos += s[this.pos] === '\r' && s[this.pos + 1] === '\n' ? 2 : 1;
        }
      } else break;
    }
  }

  private scan(): Token {
    this.skipSpace();
    const s = this.src;
    const start = this.pos;
    const tok = (t: TokenType, v: string, num = 0): Token => ({ t, v, num, pos: start, end: this.pos });
    if (start >= s.length) return tok('eof', '');
    const c = s[start]!;
    if (c === '"') {
      this.pos++;
      return tok('str', '"');
    }
    if (c === '.' && start + 1 < s.length && isIdentStart(s[start + 1]!)) {
      let p = start + 1;
      while (p < s.length && isIdentPart(s[p]!)) p++;
      this.pos = p;
      return tok('field', s.slice(start + 1, p));
    }
    if (isDigit(c) || (c === '.' && start + 1 < s.length && isDigit(s[start + 1]!))) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(start))!;
      this.pos = start + m[0].length;
      return tok('num', m[0], Number(m[0]));
    }
    if (c === '$' || c === '@') {
      let p = start + 1;
      if (p >= s.length || !isIdentStart(s[p]!)) throw this.error(start, `expected a name after "${c}"`);
      while (p < s.length && (isIdentPart(s[p]!) || (s[p] === ':' && s[p + 1] === ':' && isIdentStart(s[p + 2] ?? '')))) {
        p += s[p] === ':' ? 2 : 1;
      }
      this.pos = p;
      return tok(c === '$' ? 'var' : 'format', s.slice(start + 1, p));
    }
    if (isIdentStart(c)) {
      let p = start + 1;
      while (p < s.length && (isIdentPart(s[p]!) || (s[p] === ':' && s[p + 1] === ':' && isIdentStart(s[p + 2] ?? '')))) {
        p += s[p] === ':' ? 2 : 1;
      }
      this.pos = p;
      const word = s.slice(start, p);
      return tok(KEYWORDS.has(word) ? 'keyword' : 'ident', word);
    }
    for (const p of PUNCTS) {
      if (s.startsWith(p, start)) {
        this.pos = start + p.length;
        return tok('punct', p);
      }
    }
    throw this.error(start, `unexpected character ${JSON.stringify(c)}`);
  }
}

export function describe(t: Token): string {
  switch (t.t) {
    case 'eof':
      return 'end of input';
    case 'str':
      return 'string';
    case 'field':
      return `".${t.v}"`;
    case 'var':
      return `"$${t.v}"`;
    case 'format':
      return `"@${t.v}"`;
    default:
      return JSON.stringify(t.v);
  }
}
