// Lexer for Go text/template: splits source into text, delimiters and the
// tokens inside actions, applying {{- / -}} whitespace trimming and skipping
// comments. Errors carry the source offset; the parser turns them into
// TemplateParseError with line and column.

export type TokenType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'space' | 'comment'
  | 'identifier' | 'field' | 'variable' | 'dot' | 'string' | 'rawString' | 'char' | 'number'
  | 'bool' | 'nil' | 'pipe' | 'leftParen' | 'rightParen' | 'declare' | 'assign'
  /** Any other printable ASCII character, e.g. ',' (Go's itemChar). */
  | 'charItem'
  | 'keyword' | 'eof'
  /** A lexing error; val is the message. The parser fails when it reaches it, as Go's does. */
  | 'error';

export interface Token {
  type: TokenType;
  /** Source text of the token (for text tokens: the text after trimming). */
  val: string;
  /** Byte offset (UTF-16 index) in the source. */
  pos: number;
}

export class LexError extends Error {
  readonly pos: number;
  constructor(pos: number, message: string) {
    super(message);
    this.pos = pos;
  }
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}
function isAlnum(c: string | undefined): boolean {
  if (c === undefined) return false;
  return c === '_' || /[\p{L}\p{Nd}]/u.test(c);
}

/** %#U of a character, as Go prints it in lexer errors. */
function quoteRune(c: string): string {
  const cp = c.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const printable = cp >= 0x20 && cp !== 0x7f;
  return printable ? `U+${hex} '${c}'` : `U+${hex}`;
}

export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  try {
    lexInto(src, tokens);
  } catch (e) {
    if (!(e instanceof LexError)) throw e;
    tokens.push({ type: 'error', val: e.message, pos: e.pos });
  }
  return tokens;
}

function lexInto(src: string, tokens: Token[]): void {
  let pos = 0;
  const n = src.length;
  let trimNextText = false;
  while (pos <= n) {
    const x = src.indexOf('{{', pos);
    let textEnd = x < 0 ? n : x;
    let textStart = pos;
    if (trimNextText) {
      while (textStart < textEnd && isSpace(src[textStart])) textStart++;
      trimNextText = false;
    }
    if (x < 0) {
      if (textStart < n) tokens.push({ type: 'text', val: src.slice(textStart, n), pos: textStart });
      break;
    }
    let after = x + 2;
    const trimLeft = src[after] === '-' && isSpace(src[after + 1]);
    if (trimLeft) {
      while (textEnd > textStart && isSpace(src[textEnd - 1])) textEnd--;
    }
    if (textEnd > textStart) tokens.push({ type: 'text', val: src.slice(textStart, textEnd), pos: textStart });
    if (trimLeft) after += 2;
    // Comments sit right against the delimiters (after an optional trim marker).
    if (src.startsWith('/*', after)) {
      const end = src.indexOf('*/', after + 2);
      if (end < 0) throw new LexError(after, 'unclosed comment');
      let p = end + 2;
      let trimRight = false;
      if (isSpace(src[p]) && src[p + 1] === '-' && src.startsWith('}}', p + 2)) {
        trimRight = true;
        p += 2;
      }
      if (!src.startsWith('}}', p)) throw new LexError(end + 2, 'comment ends before closing delimiter');
      tokens.push({ type: 'comment', val: src.slice(after, end + 2), pos: after });
      pos = p + 2;
      trimNextText = trimRight;
      continue;
    }
    tokens.push({ type: 'leftDelim', val: '{{', pos: x });
    const r = lexAction(src, after, tokens);
    pos = r.pos;
    trimNextText = r.trimRight;
  }
  tokens.push({ type: 'eof', val: '', pos: n });
}

function lexAction(src: string, start: number, tokens: Token[]): { pos: number; trimRight: boolean } {
  let p = start;
  let parenDepth = 0;
  const n = src.length;
  for (;;) {
    // Right delimiter, with or without trim marker.
    if (src.startsWith('}}', p) || (isSpace(src[p]) && src[p + 1] === '-' && src.startsWith('}}', p + 2))) {
      const trimRight = !src.startsWith('}}', p);
      if (parenDepth > 0) throw new LexError(p, 'unclosed left paren');
      if (trimRight) {
        tokens.push({ type: 'space', val: src[p]!, pos: p });
        p += 2;
      }
      tokens.push({ type: 'rightDelim', val: '}}', pos: p });
      return { pos: p + 2, trimRight };
    }
    if (p >= n) throw new LexError(p, 'unclosed action');
    const c = src[p]!;
    const s = p;
    if (isSpace(c)) {
      while (p < n && isSpace(src[p]) && !(src[p + 1] === '-' && src.startsWith('}}', p + 2))) p++;
      if (p === s) p++; // a lone space before " -}}" is handled above next round
      tokens.push({ type: 'space', val: src.slice(s, p), pos: s });
      continue;
    }
    switch (c) {
      case '=':
        tokens.push({ type: 'assign', val: '=', pos: p++ });
        continue;
      case ':':
        if (src[p + 1] !== '=') throw new LexError(p, 'expected :=');
        tokens.push({ type: 'declare', val: ':=', pos: p });
        p += 2;
        continue;
      case '|':
        tokens.push({ type: 'pipe', val: '|', pos: p++ });
        continue;

      case '(':
        parenDepth++;
        tokens.push({ type: 'leftParen', val: '(', pos: p++ });
        continue;
      case ')':
        parenDepth--;
        tokens.push({ type: 'rightParen', val: ')', pos: p });
        if (parenDepth < 0) throw new LexError(p, `unexpected right paren ${quoteRune(')')}`);
        p++;
        continue;
      case '"': {
        p++;
        for (;;) {
          const d = src[p];
          if (d === '\\') {
            p++;
            if (src[p] === undefined || src[p] === '\n') throw new LexError(s, 'unterminated quoted string');
            p++;
            continue;
          }
          if (d === undefined || d === '\n') throw new LexError(s, 'unterminated quoted string');
          p++;
          if (d === '"') break;
        }
        tokens.push({ type: 'string', val: src.slice(s, p), pos: s });
        continue;
      }
      case '`': {
        const end = src.indexOf('`', p + 1);
        if (end < 0) throw new LexError(s, 'unterminated raw quoted string');
        p = end + 1;
        tokens.push({ type: 'rawString', val: src.slice(s, p), pos: s });
        continue;
      }
      case "'": {
        p++;
        for (;;) {
          const d = src[p];
          if (d === '\\') {
            p += 2;
            continue;
          }
          if (d === undefined || d === '\n') throw new LexError(s, 'unterminated character constant');
          p++;
          if (d === "'") break;
        }
        tokens.push({ type: 'char', val: src.slice(s, p), pos: s });
        continue;
      }
      case '$': {
        p++;
        while (isAlnum(src[p])) p++;
        checkTerminator(src, p);
        tokens.push({ type: 'variable', val: src.slice(s, p), pos: s });
        continue;
      }
      case '.': {
        const d = src[p + 1];
        if (d !== undefined && d >= '0' && d <= '9') {
          p = lexNumber(src, p, tokens);
          continue;
        }
        if (isAlnum(d)) {
          p++;
          while (isAlnum(src[p])) p++;
          checkTerminator(src, p);
          tokens.push({ type: 'field', val: src.slice(s, p), pos: s });
          continue;
        }
        tokens.push({ type: 'dot', val: '.', pos: p++ });
        continue;
      }
    }
    if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
      p = lexNumber(src, p, tokens);
      continue;
    }
    if (isAlnum(c)) {
      while (isAlnum(src[p])) p++;
      checkTerminator(src, p);
      const word = src.slice(s, p);
      let type: TokenType = 'identifier';
      if (KEYWORDS.has(word)) type = 'keyword';
      else if (word === 'true' || word === 'false') type = 'bool';
      else if (word === 'nil') type = 'nil';
      tokens.push({ type, val: word, pos: s });
      continue;
    }
    const cp = String.fromCodePoint(src.codePointAt(p)!);
    const code = cp.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f) {
      tokens.push({ type: 'charItem', val: cp, pos: p++ });
      continue;
    }
    throw new LexError(p, `unrecognized character in action: ${quoteRune(cp)}`);
  }
}

function checkTerminator(src: string, p: number): void {
  const c = src[p];
  if (c === undefined || isSpace(c) || c === '.' || c === ',' || c === '|' || c === ':' || c === ')' || c === '(' || c === '=') return;
  if (src.startsWith('}}', p)) return;
  const cp = String.fromCodePoint(src.codePointAt(p)!);
  throw new LexError(p, `bad character ${quoteRune(cp)}`);
}

const NUMBER_RE = /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])*\.?(?:_?[0-9a-fA-F])*(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]*)?)i?/;

function lexNumber(src: string, p: number, tokens: Token[]): number {
  const m = NUMBER_RE.exec(src.slice(p, p + 400));
  const text = m ? m[0] : '';
  const end = p + text.length;
  if (isAlnum(src[end])) throw new LexError(p, `bad number syntax: "${src.slice(p, end + 1)}"`);
  tokens.push({ type: 'number', val: text, pos: p });
  return end;
}
