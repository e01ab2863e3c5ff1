// Name, label and annotation validation with k8s.io/apimachinery/pkg/util/validation's wording.
import { randomInt } from 'node:crypto';
import type { FieldError } from './errors.ts';
import { fieldErrors } from './errors.ts';

/** Go's validation.RegexError: message plus examples and the regex used. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}
const maxLenError = (n: number): string => `must be no more than ${n} characters`;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const LABEL_VALUE_MAX_LENGTH = 63;
export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/** validation.IsDNS1123Label: messages, empty when valid. */
export function validateDnsLabel(name: string): string[] {
  const errs: string[] = [];
  if (name.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1123_LABEL_RE.test(name)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        'my-name',
        '123-abc',
      ),
    );
  }
  return errs;
}

/** validation.IsDNS1123Subdomain: messages, empty when valid. */
export function validateDnsSubdomain(name: string): string[] {
  const errs: string[] = [];
  if (name.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!DNS1123_SUBDOMAIN_RE.test(name)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errs;
}

/** validation.IsDNS1035Label (used for e.g. Service names). */
export function validateDns1035Label(name: string): string[] {
  const errs: string[] = [];
  if (name.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1035_LABEL_RE.test(name)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

/** validation.IsQualifiedName: `[prefix/]name`, used for label keys and annotation keys. */
export function validateQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of validateDnsSubdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a qualified name ${regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      )} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part ${regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      )}`,
    );
  }
  return errs;
}

/** validation.IsValidLabelValue. */
export function validateLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** metav1validation.ValidateLabels: keys are qualified names, values label values. */
export function validateLabels(labels: Record<string, unknown> | undefined | null, path = 'metadata.labels'): FieldError[] {
  const out: FieldError[] = [];
  if (!labels) return out;
  for (const [k, v] of Object.entries(labels)) {
    for (const m of validateQualifiedName(k)) out.push(fieldErrors.invalid(path, k, m));
    if (typeof v !== 'string') {
      out.push(fieldErrors.typeInvalid(`${path}.${k}`, typeof v, 'must be a string'));
      continue;
    }
    for (const m of validateLabelValue(v)) out.push(fieldErrors.invalid(path, v, m));
  }
  return out;
}

/** Sum of key and value bytes, as ValidateAnnotationsSize counts them. */
export function annotationsSize(annotations: Record<string, unknown>): number {
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    total += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  return total;
}

/** apimachineryvalidation.ValidateAnnotations: qualified keys (case-insensitive), 256 KiB in total. */
export function validateAnnotations(
  annotations: Record<string, unknown> | undefined | null,
  path = 'metadata.annotations',
): FieldError[] {
  const out: FieldError[] = [];
  if (!annotations) return out;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of validateQualifiedName(k.toLowerCase())) out.push(fieldErrors.invalid(path, k, m));
    if (typeof v !== 'string') out.push(fieldErrors.typeInvalid(`${path}.${k}`, typeof v, 'must be a string'));
  }
  if (annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_B) {
    out.push(fieldErrors.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT_B));
  }
  return out;
}

/** path.IsValidPathSegmentName: what any object name must satisfy to be usable in a URL. */
export function validatePathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes('/')) errs.push("may not contain '/'");
  if (name.includes('%')) errs.push("may not contain '%'");
  return errs;
}

/** k8s' name generator alphabet: no vowels (no words), no confusable 0/1/3. */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_GENERATED_NAME_LENGTH = 63 - GENERATED_SUFFIX_LENGTH;

export function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) s += NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)];
  return s;
}

/** names.SimpleNameGenerator.GenerateName: base truncated to 58 characters plus the suffix. */
export function generateName(base: string): string {
  return base.slice(0, MAX_GENERATED_NAME_LENGTH) + generateNameSuffix();
}

export type NameValidator = (name: string) => string[];

export interface ObjectMetaValidationOptions {
  namespaced: boolean;
  /** How the kind's name is checked; DNS-1123 subdomain by default (most kinds). */
  validateName?: NameValidator;
}

/**
 * The ObjectMeta checks kube-apiserver does on create (ValidateObjectMeta): name or
 * generateName present, name/generateName/namespace well formed, labels, annotations.
 */
export function validateObjectMeta(meta: Record<string, unknown> | undefined, opts: ObjectMetaValidationOptions): FieldError[] {
  const out: FieldError[] = [];
  const m = meta ?? {};
  const validateName = opts.validateName ?? validateDnsSubdomain;
  const name = m.name;
  const generateName = m.generateName;
  if (typeof generateName === 'string' && generateName.length > 0) {
    // Prefix mode: a trailing dash is fine because a suffix follows.
    for (const msg of validateName(generateName.replace(/-$/, 'a'))) out.push(fieldErrors.invalid('metadata.generateName', generateName, msg));
  }
  if (typeof name !== 'string' || name.length === 0) {
    if (!(typeof generateName === 'string' && generateName.length > 0)) {
      out.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
    }
  } else {
    for (const msg of validateName(name)) out.push(fieldErrors.invalid('metadata.name', name, msg));
  }
  const ns = m.namespace;
  if (opts.namespaced) {
    if (typeof ns !== 'string' || ns.length === 0) out.push(fieldErrors.required('metadata.namespace', ''));
    else for (const msg of validateDnsLabel(ns)) out.push(fieldErrors.invalid('metadata.namespace', ns, msg));
  } else if (typeof ns === 'string' && ns.length > 0) {
    out.push(fieldErrors.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  out.push(...validateLabels(m.labels as Record<string, unknown> | undefined, 'metadata.labels'));
  out.push(...validateAnnotations(m.annotations as Record<string, unknown> | undefined, 'metadata.annotations'));
  out.push(...validateFinalizers(m.finalizers, 'metadata.finalizers'));
  out.push(...validateOwnerReferences(m.ownerReferences, 'metadata.ownerReferences'));
  return out;
}

/** ValidateFinalizers: qualified names; orphan and foregroundDeletion not together. */
export function validateFinalizers(finalizers: unknown, path = 'metadata.finalizers'): FieldError[] {
  const out: FieldError[] = [];
  if (!Array.isArray(finalizers)) return out;
  for (const f of finalizers) {
    if (typeof f !== 'string') {
      out.push(fieldErrors.typeInvalid(path, typeof f, 'must be a string'));
      continue;
    }
    for (const msg of validateQualifiedName(f)) out.push(fieldErrors.invalid(path, f, msg));
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    out.push(fieldErrors.invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return out;
}

/** ValidateOwnerReferences: apiVersion (with a version), kind, name and uid set; one controller at most. */
export function validateOwnerReferences(refs: unknown, path = 'metadata.ownerReferences'): FieldError[] {
  const out: FieldError[] = [];
  if (!Array.isArray(refs)) return out;
  const controllers: string[] = [];
  for (const r of refs) {
    const o = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version) out.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, 'version must not be empty'));
    for (const k of ['kind', 'name', 'uid']) {
      const v = typeof o[k] === 'string' ? (o[k] as string) : '';
      if (!v) out.push(fieldErrors.invalid(`${path}.${k}`, v, 'must not be empty'));
    }
    if (o.controller === true) controllers.push(`${String(o.kind)}/${String(o.name)}`);
  }
  if (controllers.length > 1) {
    out.push(
      fieldErrors.invalid(
        path,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers[0]} and ${controllers[1]}`,
      ),
    );
  }
  return out;
}

/** ValidateObjectMetaUpdate: what an update may not change. */
export function validateObjectMetaUpdate(newMeta: Record<string, unknown> | undefined, oldMeta: Record<string, unknown> | undefined): FieldError[] {
  const out: FieldError[] = [];
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp']) {
    if (n[k] !== undefined && o[k] !== undefined && n[k] !== o[k]) out.push(fieldErrors.invalid(`metadata.${k}`, n[k], 'field is immutable'));
  }
  if (o.deletionTimestamp !== undefined && n.deletionTimestamp !== undefined && n.deletionTimestamp !== o.deletionTimestamp) {
    out.push(fieldErrors.invalid('metadata.deletionTimestamp', n.deletionTimestamp, 'field is immutable; may only be changed via deletion'));
  }
  if (o.deletionGracePeriodSeconds !== undefined && n.deletionGracePeriodSeconds !== undefined && n.deletionGracePeriodSeconds !== o.deletionGracePeriodSeconds) {
    out.push(fieldErrors.invalid('metadata.deletionGracePeriodSeconds', n.deletionGracePeriodSeconds, 'field is immutable; may only be changed via deletion'));
  }
  if (o.deletionTimestamp !== undefined && Array.isArray(n.finalizers)) {
    // While an object is being deleted, finalizers may only be removed.
    const before = new Set(Array.isArray(o.finalizers) ? (o.finalizers as string[]) : []);
    for (const f of n.finalizers as string[]) {
      if (!before.has(f)) out.push(fieldErrors.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${JSON.stringify(f)}}`));
    }
  }
  return out;
}
