// Field errors and their text, worded exactly as k8s.io/apimachinery's field.Error prints them,
// because kubectl users read these messages verbatim in 422 responses.

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The offending value. `OMIT_VALUE` (or absent for Required/Forbidden/TooLong) prints no value. */
  badValue?: unknown;
  detail: string;
}

/** Marker: print the error without a value (k8s' omitValue). */
export const OMIT_VALUE: unique symbol = Symbol('omitValue');

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** Go's strconv.Quote, close enough for JSON-sourced strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s)
    .replace(/\\u0007/g, '\\a')
    .replace(/\\u000b/g, '\\v')
    .replace(/\\u00([0-9a-f]{2})/g, '\\x$1')
    .replace(/\u007f/g, '\\x7f');
}

/** Go's %v for a float64 (shortest representation, exponent form outside [1e-4, 1e6)). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return '0';
  const [mant, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  // strconv 'g' with shortest precision switches to exponent form at exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

/** A bad value that is a typed Go []string (Service clusterIPs), printed `[]string{"a"}` rather than as decoded JSON. */
export class GoStringSlice {
  readonly values: readonly string[];
  constructor(values: readonly string[]) {
    this.values = values;
  }
}

/** Go's %#v of a decoded JSON value (what k8s prints for non-scalar bad values). */
function goSyntax(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (v instanceof GoStringSlice) return `[]string{${v.values.map(goQuote).join(', ')}}`;
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(', ')}}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `map[string]interface {}{${keys.map((k) => `${goQuote(k)}:${goSyntax((v as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return String(v);
}

/** The message without the field path (field.Error.ErrorBody). */
export function formatFieldErrorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type] ?? e.type;
  const valueless =
    e.type === 'FieldValueRequired' ||
    e.type === 'FieldValueForbidden' ||
    e.type === 'FieldValueTooLong' ||
    e.type === 'InternalError' ||
    e.badValue === OMIT_VALUE;
  if (!valueless) {
    const v = e.badValue;
    if (v === null || v === undefined) s += ': "null"';
    else if (typeof v === 'string') s += `: ${goQuote(v)}`;
    else if (typeof v === 'number') s += `: ${Number.isInteger(v) ? String(v) : goFloat(v)}`;
    else if (typeof v === 'boolean') s += `: ${v}`;
    else s += `: ${goSyntax(v)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `<field>: <body>`, exactly as field.Error.Error(). */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${formatFieldErrorBody(e)}`;
}

/**
 * The message of a 422 Invalid Status, as apierrors.NewInvalid words it:
 * `<Kind>.<group> "<name>" is invalid: <err>` or `...is invalid: [<err>, <err>]`.
 * Duplicate messages are dropped as ErrorList.ToAggregate does.
 */
export function formatInvalidMessage(qualifiedKind: string, name: string, errs: FieldError[]): string {
  const msgs = [...new Set(errs.map(formatFieldError))];
  if (msgs.length === 0) return `${qualifiedKind} "${name}" is invalid`;
  const agg = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  return `${qualifiedKind} "${name}" is invalid: ${agg}`;
}

/** StatusCause entries for a 422 (details.causes). */
export function fieldErrorsToCauses(errs: FieldError[]): Array<{ reason: string; message: string; field: string }> {
  const seen = new Set<string>();
  const out: Array<{ reason: string; message: string; field: string }> = [];
  for (const e of errs) {
    const key = formatFieldError(e);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ reason: e.type, message: formatFieldErrorBody(e), field: e.field });
  }
  return out;
}

// Constructors mirroring field.Required / field.Invalid / ...
export const fieldErrors = {
  required: (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, badValue: '', detail }),
  invalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail }),
  typeInvalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail }),
  notSupported: (field: string, badValue: unknown, validValues: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue,
    detail: validValues.length ? `supported values: ${validValues.map(goQuote).join(', ')}` : '',
  }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue, detail: '' }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, badValue: '', detail }),
  /** field.TooLong: `Too long: must have at most N bytes`. */
  tooLong: (field: string, badValue: unknown, maxLength: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    badValue,
    detail: `must have at most ${maxLength} bytes`,
  }),
  /** field.TooLongMaxLength: `Too long: may not be longer than N` (CRD maxLength). */
  tooLongMaxLength: (field: string, badValue: unknown, maxLength: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    badValue,
    detail: maxLength >= 0 ? `may not be longer than ${maxLength}` : 'value is too long',
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field,
    badValue: actual >= 0 ? actual : OMIT_VALUE,
    detail: max >= 0 ? `must have at most ${max} items` : 'has too many items',
  }),
};

/**
 * A patch that cannot be applied. `code` is the HTTP status kube-apiserver answers:
 * 400 for a patch document that cannot be decoded, 422 for one that does not apply to the object.
 */
export type PatchErrorCode = 400 | 409 | 413 | 415 | 422 | 500;

export class PatchError extends Error {
  readonly code: PatchErrorCode;
  constructor(message: string, code: PatchErrorCode = 422) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
  }
}
