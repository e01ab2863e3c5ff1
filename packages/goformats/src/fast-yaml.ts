/**
 * A fast reader for the block YAML that stage templates render (block maps, indentless and
 * indented block sequences, single-line plain/quoted scalars, `{}`/`[]`), with gopkg.in/yaml.v2's
 * scalar resolution (YAML 1.1 booleans, Go ParseInt/ParseFloat numbers, timestamps kept as
 * strings). Anything else (anchors, tags, flow collections with content, multi-line scalars,
 * literal blocks, several documents…) returns FALLBACK and the caller uses the full parser.
 */

export const FALLBACK: unique symbol = Symbol('fallback');
type Result = unknown | typeof FALLBACK;

class Bail extends Error {}
const BAIL = new Bail();

interface Line {
  indent: number;
  text: string;
}

const NULLS = new Set(['~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSES = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const DEC_INT = /^[-+]?(0|[1-9][0-9]*)$/;
const OTHER_INT = /^[-+]?0([xX][0-9a-fA-F]+|[bB][01]+|[oO]?[0-7]+)$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** yaml.v2 resolve() of a plain scalar, as decoded into interface{} and turned into JSON. */
export function resolvePlain(s: string): unknown {
  if (s === '') return null;
  const c = s.charCodeAt(0);
  // Letters: only the null/bool words resolve to something else.
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 126) {
    if (s.length > 5) return s; // longer than every null/bool word
    if (NULLS.has(s)) return null;
    if (TRUES.has(s)) return true;
    if (FALSES.has(s)) return false;
    return s;
  }
  if (c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57)) {
    if (s === '.inf' || s === '.Inf' || s === '.INF' || s === '+.inf' || s === '-.inf' || s === '.nan' || s === '.NaN' || s === '.NAN') throw BAIL;
    const plain = s.includes('_') ? s.replace(/_/g, '') : s;
    if (DEC_INT.test(plain)) {
      const n = Number(plain);
      if (!Number.isSafeInteger(n)) throw BAIL;
      return n === 0 ? 0 : n;
    }
    if (OTHER_INT.test(plain)) throw BAIL; // hex/octal/binary: rare, leave to the full parser
    if (YAML_FLOAT.test(plain)) return Number(plain);
    return s; // IPs, timestamps (kept as strings by yaml.v2), quantities…
  }
  if (c === 60 && s === '<<') throw BAIL;
  return s;
}

function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let i = start;
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i < end) {
      const ch = text.charCodeAt(i);
      if (ch === 9) throw BAIL; // tabs: leave to the full parser
      if (ch !== 35) {
        let e = end;
        while (e > i && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 13 || text.charCodeAt(e - 1) === 9)) e--;
        const t = text.slice(i, e);
        if (i - start === 0 && (t.startsWith('---') || t.startsWith('...') || t.startsWith('%'))) throw BAIL;
        out.push({ indent: i - start, text: t });
      }
    }
    start = end + 1;
  }
  return out;
}

class Reader {
  private pos = 0;
  private readonly lines: Line[];
  constructor(lines: Line[]) {
    this.lines = lines;
  }

  run(): unknown {
    if (this.lines.length === 0) return null;
    const first = this.lines[0]!;
    if (first.indent !== 0 && this.lines.some((l) => l.indent < first.indent)) throw BAIL;
    const v = this.block(first.indent);
    if (this.pos !== this.lines.length) throw BAIL;
    return v;
  }

  private block(indent: number): unknown {
    const l = this.lines[this.pos]!;
    if (isSeqItem(l.text)) return this.seq(indent);
    if (keyEnd(l.text) < 0) {
      // A lone scalar document.
      if (this.pos !== 0 || this.lines.length !== 1) throw BAIL;
      this.pos++;
      return scalar(l.text);
    }
    return this.map(indent);
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.pos < this.lines.length) {
      const l = this.lines[this.pos]!;
      if (l.indent < indent) break;
      if (l.indent > indent || isSeqItem(l.text)) throw BAIL;
      const ke = keyEnd(l.text);
      if (ke < 0) throw BAIL;
      const t = l.text;
      let ks = ke;
      while (ks > 0 && t.charCodeAt(ks - 1) === 32) ks--;
      const key = mapKey(t.slice(0, ks));
      let vs = ke + 1;
      while (vs < t.length && t.charCodeAt(vs) === 32) vs++;
      const rest = vs < t.length ? t.slice(vs) : '';
      this.pos++;
      if (rest === '' || rest[0] === '#') {
        const next = this.lines[this.pos];
        if (next && next.indent > indent) out[key] = this.block(next.indent);
        else if (next && next.indent === indent && isSeqItem(next.text)) out[key] = this.seq(indent);
        else out[key] = null;
      } else {
        out[key] = scalar(rest);
        const next = this.lines[this.pos];
        if (next && next.indent > indent) throw BAIL; // multi-line scalar
      }
    }
    return out;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.pos < this.lines.length) {
      const l = this.lines[this.pos]!;
      if (l.indent < indent || (l.indent === indent && !isSeqItem(l.text))) break;
      if (l.indent > indent) throw BAIL;
      let sp = 0;
      while (1 + sp < l.text.length && l.text.charCodeAt(1 + sp) === 32) sp++;
      const rest = 1 + sp < l.text.length ? l.text.slice(1 + sp) : '';
      if (rest === '' || rest[0] === '#') {
        this.pos++;
        const next = this.lines[this.pos];
        if (next && next.indent > indent) out.push(this.block(next.indent));
        else out.push(null);
        continue;
      }
      if (isSeqItem(rest)) throw BAIL;
      if (keyEnd(rest) >= 0) {
        // Compact mapping: "- key: value" continues at the column of "key".
        const col = indent + 1 + sp;
        this.lines[this.pos] = { indent: col, text: rest };
        out.push(this.map(col));
        continue;
      }
      this.pos++;
      out.push(scalar(rest));
      const next = this.lines[this.pos];
      if (next && next.indent > indent) throw BAIL;
    }
    return out;
  }
}

function isSeqItem(t: string): boolean {
  return t.charCodeAt(0) === 45 && (t.length === 1 || t.charCodeAt(1) === 32);
}

/** Index of the ':' ending a mapping key on this line, or -1 when the line is not `key: …`. */
function keyEnd(t: string): number {
  const c = t.charCodeAt(0);
  if (c === 34 || c === 39) {
    const close = quotedEnd(t, 0);
    if (close < 0) return -1;
    let i = close + 1;
    while (t.charCodeAt(i) === 32) i++;
    return t.charCodeAt(i) === 58 && (i + 1 === t.length || t.charCodeAt(i + 1) === 32) ? i : -1;
  }
  if (c === 63 || c === 38 || c === 42 || c === 33 || c === 123 || c === 91 || c === 124 || c === 62) {
    if (t.includes(': ') || t.endsWith(':')) throw BAIL;
    return -1;
  }
  for (let i = 0; i < t.length; i++) {
    const ch = t.charCodeAt(i);
    if (ch === 58 && (i + 1 === t.length || t.charCodeAt(i + 1) === 32)) return i;
    if (ch === 35 && i > 0 && t.charCodeAt(i - 1) === 32) return -1;
  }
  return -1;
}

/** Index of the closing quote of the quoted scalar starting at `start`, or -1. */
function quotedEnd(t: string, start: number): number {
  const q = t.charCodeAt(start);
  for (let i = start + 1; i < t.length; i++) {
    const ch = t.charCodeAt(i);
    if (q === 34 && ch === 92) {
      i++;
      continue;
    }
    if (ch === q) {
      if (q === 39 && t.charCodeAt(i + 1) === 39) {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

function mapKey(k: string): string {
  const c = k.charCodeAt(0);
  if (c === 34 || c === 39) return quoted(k) as string;
  const v = resolvePlain(k);
  if (typeof v !== 'string') throw BAIL; // non-string keys: leave to the full parser
  return v;
}

function quoted(t: string): string {
  const close = quotedEnd(t, 0);
  if (close < 0) throw BAIL;
  const after = t.slice(close + 1).trim();
  if (after !== '' && !after.startsWith('#')) throw BAIL;
  const body = t.slice(1, close);
  if (t.charCodeAt(0) === 39) return body.includes("''") ? body.replace(/''/g, "'") : body;
  if (!body.includes('\\')) return body;
  if (/\\[^"\\/bfnrtu]/.test(body)) throw BAIL; // YAML-only escapes
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    throw BAIL;
  }
}

function scalar(t: string): unknown {
  if (isSeqItem(t)) throw BAIL;
  const c = t.charCodeAt(0);
  if (c === 34 || c === 39) return quoted(t);
  if (c === 123 || c === 91) {
    const inner = t.slice(1).trimStart();
    if ((c === 123 && inner.startsWith('}')) || (c === 91 && inner.startsWith(']'))) {
      const after = inner.slice(1).trim();
      if (after === '' || after.startsWith('#')) return c === 123 ? {} : [];
    }
    throw BAIL;
  }
  if (c === 38 || c === 42 || c === 33 || c === 124 || c === 62 || c === 37 || c === 64 || c === 96 || c === 63) throw BAIL;
  let s = t;
  const hash = s.indexOf(' #');
  if (hash >= 0) s = s.slice(0, hash).trimEnd();
  if (s.includes(': ')) throw BAIL;
  return resolvePlain(s);
}

/** The JSON value of `text`, or FALLBACK when it uses YAML this reader does not handle. */
export function fastYamlToJson(text: string): Result {
  try {
    return new Reader(splitLines(text)).run();
  } catch (e) {
    if (e === BAIL) return FALLBACK;
    throw e;
  }
}
