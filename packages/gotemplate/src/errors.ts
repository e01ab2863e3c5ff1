// Errors with Go's text/template wording and positions.
//
// Positions follow Go's ErrorContext: line is 1-based, column is the byte
// offset of the token within its line (0-based), as Go prints them in
// "template: NAME:LINE:COL: ...".

export class TemplateParseError extends Error {
  readonly line: number;
  readonly column: number;
  /** The reason alone, without the "template: NAME:LINE:COL: " prefix. */
  readonly reason: string;
  constructor(name: string, line: number, column: number, reason: string) {
    super(`template: ${name}:${line}:${column}: ${reason}`);
    this.name = 'TemplateParseError';
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

export class TemplateExecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemplateExecError';
  }
}

/** Line (1-based) and Go-style column (byte offset in the line) of a source offset. */
export function lineColumn(src: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src.charCodeAt(i) === 10) {
      line++;
      lastNl = i;
    }
  }
  return { line, column: utf8Length(src.slice(lastNl + 1, pos)) };
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
