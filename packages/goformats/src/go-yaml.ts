/**
 * YAML output byte-for-byte as Go's sigs.k8s.io/yaml.Marshal writes it (JSON → gopkg.in/yaml.v2
 * emitter): keys in yaml.v2's natural order, indentless block sequences, strings plain when
 * possible, "double-quoted" when they would read back as another type (YAML 1.1: yes/no/on/off,
 * numbers, timestamps…), 'single-quoted' when plain is not allowed, literal blocks for multi-line
 * text, and plain/quoted scalars folded at spaces past column 80. KWOK's golden files and its
 * `YAML` template function are produced this way.
 */

const BEST_WIDTH = 80;

/** yaml.v2 keyList.Less for string keys: letters compare by rune, digit runs numerically. */
export function goYamlKeyLess(a: string, b: string): boolean {
  // Compare UTF-16 units directly; strings with surrogate pairs take the rune-by-rune path.
  if (SURROGATE.test(a) || SURROGATE.test(b)) return keyLessRunes(Array.from(a), Array.from(b));
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const al = isLetterCode(ca);
    const bl = isLetterCode(cb);
    if (al && bl) return ca < cb;
    if (al || bl) return bl;
    return digitRunLess(Array.from(a), Array.from(b), i);
  }
  return a.length < b.length;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function keyLessRunes(ar: string[], br: string[]): boolean {
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    return digitRunLess(ar, br, i);
  }
  return ar.length < br.length;
}

/** yaml.v2: at the first difference (neither a letter), compare the digit runs numerically. */
function digitRunLess(ar: string[], br: string[], i: number): boolean {
  let an = 0;
  let bn = 0;
  if (ar[i] === '0' || br[i] === '0') {
    for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
      if (ar[j] !== '0') {
        an = 1;
        bn = 1;
        break;
      }
    }
  }
  let ai = i;
  let bi = i;
  for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + (ar[ai]!.charCodeAt(0) - 48);
  for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + (br[bi]!.charCodeAt(0) - 48);
  if (an !== bn) return an < bn;
  if (ai !== bi) return ai < bi;
  return ar[i]! < br[i]!;
}

function isLetterCode(c: number): boolean {
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return isLetter(String.fromCharCode(c));
}

function isLetter(c: string): boolean {
  return /\p{L}/u.test(c);
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function sortedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  return keys.length < 2 ? keys : keys.sort((a, b) => (a === b ? 0 : goYamlKeyLess(a, b) ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// What a plain string would be read back as (yaml.v2 resolve), to decide on double quotes.

const RESOLVE_NON_STRING = new Set([
  '', '~', 'null', 'Null', 'NULL',
  'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO',
  'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF',
  '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '.nan', '.NaN', '.NAN',
  '<<',
]);

const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[0-9]+)$/;
/** yaml.v2 only tries ParseFloat on text matching its yamlStyleFloat. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?))?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function resolvesToNonString(s: string): boolean {
  if (RESOLVE_NON_STRING.has(s)) return true;
  const c = s[0]!;
  if (c === '+' || c === '-' || c === '.' || (c >= '0' && c <= '9')) {
    const plain = s.replace(/_/g, '');
    if (GO_INT.test(plain) || YAML_STYLE_FLOAT.test(plain)) return true;
    if (TIMESTAMP.test(s)) return true;
  }
  return BASE60.test(s);
}

// ---------------------------------------------------------------------------------------------
// libyaml's scalar analysis.

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}
const isBreakCp = (cp: number) => cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isBlankOrEnd = (cp: number | undefined) => cp === undefined || cp === 0x20 || cp === 0x09 || isBreakCp(cp);

function analyze(s: string): Analysis {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  let blockIndicators = false;
  let special = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  if (s.startsWith('---') || s.startsWith('...')) {
    if (isBlankOrEnd(cps[3])) blockIndicators = true;
  }
  let precededByWs = true;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const ch = String.fromCodePoint(cp);
    const followedByWs = isBlankOrEnd(cps[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followedByWs) blockIndicators = true;
      if (ch === '-' && followedByWs) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWs) blockIndicators = true;
      if (ch === '#' && precededByWs) blockIndicators = true;
    }
    if (!isPrintable(cp) || cp === 0xfeff) special = true;
    if (isBreakCp(cp)) lineBreaks = true;
    if (cp === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreakCp(cp)) {
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWs = isBlankOrEnd(cp);
  }

  let blockPlain = true;
  let singleQuoted = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) {
    blockPlain = false;
    singleQuoted = false;
  }
  if (spaceBreak || special) {
    blockPlain = false;
    singleQuoted = false;
    block = false;
  }
  if (lineBreaks) blockPlain = false;
  if (blockIndicators) blockPlain = false;
  if (cps.length === 0) blockPlain = false;
  return { multiline: lineBreaks, blockPlain, singleQuoted, block };
}

// ---------------------------------------------------------------------------------------------
// Writers. `col` is the column where the scalar starts; `indent` the continuation indentation.

interface Out {
  text: string;
  /** Current column (chars since the last newline). */
  col: number;
}

function writeIndent(out: Out, indent: number): void {
  out.text += '\n' + ' '.repeat(indent);
  out.col = indent;
}

function put(out: Out, s: string): void {
  out.text += s;
  out.col += s.length;
}

function writePlain(out: Out, s: string, indent: number, allowBreaks: boolean): void {
  if (!allowBreaks || out.col + s.length <= BEST_WIDTH + 1 || !s.includes(' ')) return put(out, s);
  let spaces = false;
  const chars = Array.from(s);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ' ') {
      if (allowBreaks && !spaces && out.col > BEST_WIDTH && chars[i + 1] !== ' ') {
        writeIndent(out, indent);
      } else put(out, c);
      spaces = true;
    } else {
      put(out, c);
      spaces = false;
    }
  }
}

function writeSingleQuoted(out: Out, s: string, indent: number, allowBreaks: boolean): void {
  put(out, "'");
  let spaces = false;
  const chars = Array.from(s);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ' ') {
      if (allowBreaks && !spaces && out.col > BEST_WIDTH && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ') {
        writeIndent(out, indent);
      } else put(out, c);
      spaces = true;
    } else {
      put(out, c === "'" ? "''" : c);
      spaces = false;
    }
  }
  put(out, "'");
}

const SHORT_ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

function writeDoubleQuoted(out: Out, s: string, indent: number, allowBreaks: boolean): void {
  put(out, '"');
  let spaces = false;
  const chars = Array.from(s);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const cp = c.codePointAt(0)!;
    if (!isPrintable(cp) || cp === 0xfeff || isBreakCp(cp) || c === '"' || c === '\\') {
      const short = SHORT_ESCAPES[cp];
      if (short !== undefined) put(out, '\\' + short);
      else if (cp <= 0xff) put(out, '\\x' + cp.toString(16).toUpperCase().padStart(2, '0'));
      else if (cp <= 0xffff) put(out, '\\u' + cp.toString(16).toUpperCase().padStart(4, '0'));
      else put(out, '\\U' + cp.toString(16).toUpperCase().padStart(8, '0'));
      spaces = false;
    } else if (c === ' ') {
      if (allowBreaks && !spaces && out.col > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
        writeIndent(out, indent);
        if (chars[i + 1] === ' ') put(out, '\\');
      } else put(out, c);
      spaces = true;
    } else {
      put(out, c);
      spaces = false;
    }
  }
  put(out, '"');
}

function writeLiteral(out: Out, s: string, indent: number): void {
  let hints = '';
  if (s[0] === ' ' || s[0] === '\n') hints += '2';
  if (!s.endsWith('\n')) hints += '-';
  else if (s.length === 1 || s[s.length - 2] === '\n') hints += '+';
  put(out, '|' + hints);
  const body = s.endsWith('\n') ? s.slice(0, -1) : s;
  for (const line of body.split('\n')) {
    if (line === '') {
      out.text += '\n';
      out.col = 0;
    } else {
      writeIndent(out, indent);
      put(out, line);
    }
  }
}

/** Printable ASCII with no YAML indicator anywhere and no leading/trailing space: plain if it reads back as a string. */
const SIMPLE_PLAIN = /^[A-Za-z0-9_.\/()=+$^~;<]([A-Za-z0-9_.\/()=+$^~;<>@ -]*[A-Za-z0-9_.\/()=+$^~;<>@-])?$/;

function writeString(out: Out, s: string, indent: number, simpleKey: boolean): void {
  if (resolvesToNonString(s)) return writeDoubleQuoted(out, s, indent, !simpleKey);
  if (SIMPLE_PLAIN.test(s) && !s.startsWith('...')) return writePlain(out, s, indent, !simpleKey);
  const a = analyze(s);
  if (a.multiline) {
    if (a.block && !simpleKey) return writeLiteral(out, s, indent);
    return writeDoubleQuoted(out, s, indent, !simpleKey);
  }
  if (a.blockPlain) return writePlain(out, s, indent, !simpleKey);
  if (a.singleQuoted) return writeSingleQuoted(out, s, indent, !simpleKey);
  return writeDoubleQuoted(out, s, indent, !simpleKey);
}

/** strconv.FormatFloat(f, 'g', -1, 64) as yaml.v2 writes float64 values. */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (Number.isInteger(f) && Math.abs(f) < 1e21) {
    // JSON integers are decoded as int by yaml.v2 and printed in full.
    return String(f);
  }
  const [mant, expStr] = f.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(f);
}

function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return formatGoFloat(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

function isEmptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  if (v !== null && typeof v === 'object') return Object.keys(v).length === 0 ? '{}' : undefined;
  return undefined;
}

function writeValueInline(out: Out, v: unknown, indent: number): void {
  const sc = scalarText(v);
  if (sc !== undefined) return put(out, sc);
  if (typeof v === 'string') return writeString(out, v, indent, false);
  const empty = isEmptyCollection(v);
  if (empty) return put(out, empty);
  put(out, String(v));
}

function isScalarLike(v: unknown): boolean {
  return v === null || typeof v !== 'object' || isEmptyCollection(v) !== undefined;
}

/** Writes a non-empty mapping whose keys start at column `indent`; the first key is already positioned. */
function writeMap(out: Out, obj: Record<string, unknown>, indent: number, firstInline: boolean): void {
  let first = true;
  for (const k of sortedKeys(obj)) {
    if (!(first && firstInline)) {
      if (out.text.length > 0) writeIndent(out, indent);
      else put(out, ' '.repeat(indent));
    }
    first = false;
    writeString(out, k, indent + 2, true);
    put(out, ':');
    const v = obj[k];
    if (isScalarLike(v)) {
      put(out, ' ');
      writeValueInline(out, v, indent + 2);
    } else if (Array.isArray(v)) {
      writeSeq(out, v, indent, false);
    } else {
      writeMap(out, v as Record<string, unknown>, indent + 2, false);
    }
  }
}

/** Writes a non-empty sequence with its dashes at column `indent`. */
function writeSeq(out: Out, list: unknown[], indent: number, firstInline: boolean): void {
  let first = true;
  for (const item of list) {
    if (!(first && firstInline)) {
      if (out.text.length > 0) writeIndent(out, indent);
      else put(out, ' '.repeat(indent));
    }
    first = false;
    put(out, '- ');
    if (isScalarLike(item)) writeValueInline(out, item, indent + 2);
    else if (Array.isArray(item)) writeSeq(out, item, indent + 2, true);
    else writeMap(out, item as Record<string, unknown>, indent + 2, true);
  }
}

/** sigs.k8s.io/yaml.Marshal of a JSON value (as KWOK prints goldens and the `YAML` template func). */
export function marshalGoYaml(value: unknown): string {
  const out: Out = { text: '', col: 0 };
  if (isScalarLike(value)) writeValueInline(out, value, 0);
  else if (Array.isArray(value)) writeSeq(out, value, 0, false);
  else writeMap(out, value as Record<string, unknown>, 0, false);
  return out.text + '\n';
}
