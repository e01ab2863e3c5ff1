// The structural-schema checks apiextensions-apiserver makes when a CRD is created or updated:
// every node typed, x-kubernetes-* extensions where they are allowed, junctors without types.
import type { FieldError } from './errors.ts';
import { fieldErrors } from './errors.ts';
import { isObject } from './json.ts';
import type { OpenAPISchema } from './structural-schema.ts';

const SUPPORTED_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
type Level = 'root' | 'item' | 'field';

/** A field's path below p, as field errors and pruning warnings write it. */
export const child = (p: string, name: string): string => (p ? `${p}.${name}` : name);
const keyed = (p: string, key: string): string => `${p}[${key}]`;

export function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    isObject(anyOf[0]) &&
    isObject(anyOf[1]) &&
    Object.keys(anyOf[0]).length === 1 &&
    Object.keys(anyOf[1]).length === 1 &&
    anyOf[0].type === 'integer' &&
    anyOf[1].type === 'string'
  );
}

function checkPattern(s: OpenAPISchema, path: string, errs: FieldError[]): void {
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern);
    } catch (e) {
      errs.push(fieldErrors.invalid(child(path, 'pattern'), s.pattern, `must be a valid regular expression, but isn't: ${(e as Error).message}`));
    }
  }
}

/** Value validations under anyOf/allOf/oneOf/not: no types, defaults, descriptions or extensions. */
function checkNested(s: unknown, path: string, errs: FieldError[], skipAnyOf = false): void {
  if (!isObject(s)) return;
  const forbid = (name: string, detail: string): void => {
    errs.push(fieldErrors.forbidden(child(path, name), detail));
  };
  if (s.type !== undefined && s.type !== '') forbid('type', 'must be empty to be structural');
  if (s.additionalProperties !== undefined) forbid('additionalProperties', 'must be undefined to be structural');
  if (s.default !== undefined) forbid('default', 'must be undefined to be structural');
  if (typeof s.title === 'string' && s.title) forbid('title', 'must be empty to be structural');
  if (typeof s.description === 'string' && s.description) forbid('description', 'must be empty to be structural');
  if (s.nullable === true) forbid('nullable', 'must be false to be structural');
  if (s['x-kubernetes-preserve-unknown-fields'] === true) forbid('x-kubernetes-preserve-unknown-fields', 'must be false to be structural');
  if (s['x-kubernetes-embedded-resource'] === true) forbid('x-kubernetes-embedded-resource', 'must be false to be structural');
  if (s['x-kubernetes-int-or-string'] === true) forbid('x-kubernetes-int-or-string', 'must be false to be structural');
  if (Array.isArray(s['x-kubernetes-list-map-keys']) && s['x-kubernetes-list-map-keys'].length) forbid('x-kubernetes-list-map-keys', 'must be empty to be structural');
  if (s['x-kubernetes-list-type'] !== undefined) forbid('x-kubernetes-list-type', 'must be undefined to be structural');
  if (isObject(s.properties) && Object.hasOwn(s.properties, 'metadata')) {
    errs.push(fieldErrors.forbidden(keyed(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'));
  }
  checkJunctors(s, path, errs, skipAnyOf, false);
  checkNested(s.items, child(path, 'items'), errs);
  if (isObject(s.properties)) for (const [k, v] of Object.entries(s.properties)) checkNested(v, keyed(child(path, 'properties'), k), errs);
}

function checkJunctors(s: OpenAPISchema, path: string, errs: FieldError[], skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean): void {
  if (!skipAnyOf && Array.isArray(s.anyOf)) s.anyOf.forEach((x, i) => checkNested(x, `${child(path, 'anyOf')}[${i}]`, errs));
  if (Array.isArray(s.allOf)) s.allOf.forEach((x, i) => checkNested(x, `${child(path, 'allOf')}[${i}]`, errs, skipFirstAllOfAnyOf && i === 0));
  if (Array.isArray(s.oneOf)) s.oneOf.forEach((x, i) => checkNested(x, `${child(path, 'oneOf')}[${i}]`, errs));
  if (s.not !== undefined) checkNested(s.not, child(path, 'not'), errs);
  checkPattern(s, path, errs);
}

/** Facts of one schema node every check reads. */
interface NodeFacts {
  s: Record<string, unknown> & { [k: string]: any };
  level: Level;
  path: string;
  type: string;
  intOrString: boolean;
  preserve: boolean;
  embedded: boolean;
}

function checkNode(s: unknown, level: Level, path: string, errs: FieldError[]): void {
  if (!isObject(s)) {
    errs.push(fieldErrors.invalid(path, s, 'must be an object'));
    return;
  }
  const n: NodeFacts = {
    s,
    level,
    path,
    type: typeof s.type === 'string' ? s.type : '',
    intOrString: s['x-kubernetes-int-or-string'] === true,
    preserve: s['x-kubernetes-preserve-unknown-fields'] === true,
    embedded: s['x-kubernetes-embedded-resource'] === true,
  };
  checkKeywords(n, errs);
  checkListType(n, errs);
  checkChildren(n, errs);
  if (n.intOrString && n.preserve) {
    errs.push(fieldErrors.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (n.intOrString && n.embedded) {
    errs.push(fieldErrors.invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  const allOf0 = Array.isArray(s.allOf) && isObject(s.allOf[0]) ? s.allOf[0].anyOf : undefined;
  checkJunctors(s, path, errs, isIntOrStringAnyOf(s.anyOf), isIntOrStringAnyOf(allOf0));
  checkType(n, errs);
  checkTypeMeta(n, errs);
}

/** Keywords a structural schema forbids or restricts. */
function checkKeywords({ s, path, type }: NodeFacts, errs: FieldError[]): void {
  if (s.$ref !== undefined) errs.push(fieldErrors.forbidden(child(path, '$ref'), '$ref is not supported'));
  if (type && !SUPPORTED_TYPES.includes(type)) errs.push(fieldErrors.notSupported(child(path, 'type'), type, SUPPORTED_TYPES));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(fieldErrors.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  if (s.uniqueItems === true) {
    errs.push(fieldErrors.forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  }
  if (s.additionalProperties !== undefined && isObject(s.properties) && Object.keys(s.properties).length > 0) {
    errs.push(fieldErrors.forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
  }
}

/** x-kubernetes-list-type and its map keys. */
function checkListType({ s, path, type }: NodeFacts, errs: FieldError[]): void {
  const listType = s['x-kubernetes-list-type'];
  if (listType !== undefined) {
    if (!['atomic', 'set', 'map'].includes(listType as string)) {
      errs.push(fieldErrors.notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
    } else if (type !== 'array') {
      errs.push(fieldErrors.invalid(child(path, 'type'), type, 'must be array if x-kubernetes-list-type is specified'));
    } else if (listType === 'map') {
      const keys = s['x-kubernetes-list-map-keys'];
      if (!Array.isArray(keys) || keys.length === 0) {
        errs.push(fieldErrors.required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
      }
    }
  }
  if (s['x-kubernetes-list-map-keys'] !== undefined && listType !== 'map') {
    errs.push(fieldErrors.forbidden(child(path, 'x-kubernetes-list-map-keys'), 'must not be specified if x-kubernetes-list-type is not map'));
  }
}

/** items, properties and additionalProperties, each checked as a node of its own. */
function checkChildren({ s, level, path, type }: NodeFacts, errs: FieldError[]): void {
  if (type === 'array' && s.items === undefined) errs.push(fieldErrors.required(child(path, 'items'), 'must be specified'));
  if (s.items !== undefined) checkNode(s.items, 'item', child(path, 'items'), errs);
  if (isObject(s.properties)) for (const [k, v] of Object.entries(s.properties)) checkNode(v, 'field', keyed(child(path, 'properties'), k), errs);
  if (s.additionalProperties !== undefined) {
    if (level === 'root') errs.push(fieldErrors.forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    if (isObject(s.additionalProperties)) checkNode(s.additionalProperties, 'field', child(path, 'additionalProperties'), errs);
  }
}

/** A type where one is needed: always, unless int-or-string or preserve-unknown-fields; object at the root and for embedded resources. */
function checkType({ s, level, path, type, intOrString, preserve, embedded }: NodeFacts, errs: FieldError[]): void {
  if (embedded && type !== 'object') {
    if (!type) errs.push(fieldErrors.required(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(fieldErrors.invalid(child(path, 'type'), type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!type && !intOrString && !preserve) {
    const detail =
      level === 'root'
        ? 'must not be empty at the root'
        : level === 'item'
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    errs.push(fieldErrors.required(child(path, 'type'), detail));
  }
  if (embedded && s.additionalProperties !== undefined) {
    errs.push(fieldErrors.forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (level === 'root' && type && type !== 'object') errs.push(fieldErrors.invalid(child(path, 'type'), type, 'must be object at the root'));
}

/** kind, apiVersion and metadata of the root and of embedded resources. */
function checkTypeMeta({ s, level, path, preserve, embedded }: NodeFacts, errs: FieldError[]): void {
  const checkMetadata = level === 'root' || embedded;
  const props = isObject(s.properties) ? s.properties : {};
  const propType = (k: string): string => (isObject(props[k]) && typeof props[k].type === 'string' ? (props[k].type as string) : '');
  for (const [field, want] of [['kind', 'string'], ['apiVersion', 'string'], ['metadata', 'object']] as const) {
    if (checkMetadata && Object.hasOwn(props, field) && propType(field) !== want) {
      errs.push(fieldErrors.invalid(child(keyed(child(path, 'properties'), field), 'type'), propType(field), `must be ${want}`));
    }
  }
  if (level === 'root' && isObject(props.metadata)) {
    // Only name and generateName may be restricted at the root.
    const m = props.metadata;
    const extra = Object.keys(m).filter((k) => !['type', 'properties', 'description'].includes(k));
    const mp = isObject(m.properties) ? Object.keys(m.properties).filter((k) => k !== 'name' && k !== 'generateName') : [];
    if (extra.length || mp.length) {
      errs.push(
        fieldErrors.forbidden(
          keyed(child(path, 'properties'), 'metadata'),
          'must not specify anything other than name and generateName, but metadata is implicitly specified',
        ),
      );
    }
  }
  if (embedded && !preserve && Object.keys(props).length === 0) {
    errs.push(
      fieldErrors.required(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'),
    );
  }
}

/**
 * Checks that a CRD version's openAPIV3Schema is structural (and otherwise acceptable), reporting
 * errors under `fieldPath` (e.g. `spec.versions[0].schema.openAPIV3Schema`), sorted as k8s sorts them.
 */
export function checkStructuralSchema(schema: unknown, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (schema === undefined || schema === null) {
    errs.push(fieldErrors.required(fieldPath, 'schemas are required'));
    return errs;
  }
  checkNode(schema, 'root', fieldPath, errs);
  return errs;
}
