// Field selectors (fields.ParseSelector): `a=b,c!=d`, `==` accepted, `\,` `\=` `\\` escapes.

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

const OPERATORS = ['!=', '==', '='] as const;

/** Split on commas that are not escaped. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** fields.UnescapeValue: only `\\`, `\,` and `\=` are escapes; bare `,` or `=` are refused. */
export function unescapeFieldValue(s: string): string {
  if (!s.includes('\\') && !s.includes(',') && !s.includes('=')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw new Error(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
    }
    if (c === ',' || c === '=') throw new Error(`invalid field selector: unescaped character in value: ${c.charCodeAt(0)}`);
    out += c;
  }
  return out;
}

/** fields.EscapeValue. */
export function escapeFieldValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/** fields.ParseSelector. Throws Error with k8s' message on bad syntax. */
export function parseFieldSelector(s: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(s)) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw new Error(`invalid selector: '${s}'; can't understand '${term}'`);
    const [lhs, op, rhs] = parts;
    // k8s unescapes only the value side.
    reqs.push({ field: lhs, operator: op === '!=' ? '!=' : '=', value: unescapeFieldValue(rhs) });
  }
  return reqs;
}

/** True when every requirement holds; a field the object lacks compares as the empty string. */
export function matchesFields(reqs: readonly FieldRequirement[], getField: (field: string) => string | undefined): boolean {
  for (const r of reqs) {
    const v = getField(r.field) ?? '';
    if (r.operator === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

export function fieldSelectorToString(reqs: readonly FieldRequirement[]): string {
  return reqs.map((r) => `${escapeFieldValue(r.field)}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}

/** The server's refusal of a field it cannot select on (400 BadRequest). */
export function unsupportedFieldLabelMessage(field: string): string {
  return `field label not supported: ${field}`;
}
