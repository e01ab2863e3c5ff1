// CRD openAPIV3Schema handling as apiextensions-apiserver does it: structural-schema checks at
// CRD create, and for every custom object: pruning of unknown fields, defaulting, and OpenAPI
// validation with kube-openapi's wording. A schema is compiled once into a tree of nodes so that
// validating an object walks only the object (no schema re-interpretation per call); field paths
// are only built when an error is reported.
//
// x-kubernetes-validations: rules are enforced through cel.ts; transition rules (oldSelf) and rules
// that do not parse are accepted and not enforced.
import type { FieldError } from './errors.ts';
import { fieldErrors, goFloat } from './errors.ts';
import { deepClone, deepEqual, isObject, jsonTypeOf } from './json.ts';
import type { JsonObject } from './json.ts';
import type { PatchSchema } from './patch-schema.ts';
import { objectMetaPatchSchema } from './patch-schema.ts';
import { compileCelRule } from './cel.ts';
import type { CompiledRule } from './cel.ts';

/** A JSONSchemaProps as found in a CRD (decoded YAML/JSON). */
export type OpenAPISchema = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Structural schema checks (CRD create/update)
// ---------------------------------------------------------------------------------------------

const SUPPORTED_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
type Level = 'root' | 'item' | 'field';

const child = (p: string, name: string): string => (p ? `${p}.${name}` : name);
const keyed = (p: string, key: string): string => `${p}[${key}]`;

function isIntOrStringAnyOf(anyOf: unknown): boolean {
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

// ---------------------------------------------------------------------------------------------
// Compiled schema: prune, default, validate
// ---------------------------------------------------------------------------------------------

interface ValidationRule {
  compiled: CompiledRule;
  message: string;
  reason: string;
  fieldPath: string;
}

function compileRules(v: unknown): ValidationRule[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ValidationRule[] = [];
  for (const r of v) {
    if (!isObject(r) || typeof r.rule !== 'string') continue;
    try {
      out.push({
        compiled: compileCelRule(r.rule),
        message: typeof r.message === 'string' && r.message ? r.message : `failed rule: ${r.rule}`,
        reason: typeof r.reason === 'string' ? r.reason : 'FieldValueInvalid',
        fieldPath: typeof r.fieldPath === 'string' ? r.fieldPath : '',
      });
    } catch {
      // A transition rule or one that does not parse: not enforced.
    }
  }
  return out.length ? out : undefined;
}

interface Node {
  type: string;
  nullable: boolean;
  intOrString: boolean;
  preserveUnknown: boolean;
  embedded: boolean;
  properties: Map<string, Node> | undefined;
  /** additionalProperties: a schema, or true (any value kept). */
  additional: Node | true | undefined;
  additionalForbidden: boolean;
  items: Node | undefined;
  required: string[] | undefined;
  enumValues: unknown[] | undefined;
  pattern: RegExp | undefined;
  patternSource: string;
  format: string | undefined;
  minimum: number | undefined;
  maximum: number | undefined;
  exclusiveMinimum: boolean;
  exclusiveMaximum: boolean;
  multipleOf: number | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  minItems: number | undefined;
  maxItems: number | undefined;
  uniqueItems: boolean;
  minProperties: number | undefined;
  maxProperties: number | undefined;
  allOf: Node[] | undefined;
  anyOf: Node[] | undefined;
  oneOf: Node[] | undefined;
  not: Node | undefined;
  listType: 'atomic' | 'set' | 'map' | undefined;
  listMapKeys: string[] | undefined;
  mapType: 'atomic' | 'granular' | undefined;
  rules: ValidationRule[] | undefined;
  defaults: Array<[string, unknown]> | undefined;
  /** True when the node or anything below has a default (skip defaulting walks otherwise). */
  hasDefaults: boolean;
  /** True when pruning can drop something below (skip pruning walks otherwise). */
  prunes: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

// eslint-disable-next-line complexity -- not split yet: known debt (issue 14), listed in ARCHITECTURE.md
function compileNode(s: unknown): Node {
  const o = isObject(s) ? s : {};
  const props = isObject(o.properties) ? o.properties : undefined;
  const node: Node = {
    type: typeof o.type === 'string' ? o.type : '',
    nullable: o.nullable === true,
    intOrString: o['x-kubernetes-int-or-string'] === true,
    preserveUnknown: o['x-kubernetes-preserve-unknown-fields'] === true,
    embedded: o['x-kubernetes-embedded-resource'] === true,
    properties: props ? new Map(Object.entries(props).map(([k, v]) => [k, compileNode(v)])) : undefined,
    additional: o.additionalProperties === true ? true : isObject(o.additionalProperties) ? compileNode(o.additionalProperties) : undefined,
    additionalForbidden: o.additionalProperties === false,
    items: isObject(o.items) ? compileNode(o.items) : undefined,
    required: Array.isArray(o.required) ? (o.required as string[]) : undefined,
    enumValues: Array.isArray(o.enum) ? o.enum : undefined,
    pattern: undefined,
    patternSource: typeof o.pattern === 'string' ? o.pattern : '',
    format: typeof o.format === 'string' ? o.format : undefined,
    minimum: num(o.minimum),
    maximum: num(o.maximum),
    exclusiveMinimum: o.exclusiveMinimum === true,
    exclusiveMaximum: o.exclusiveMaximum === true,
    multipleOf: num(o.multipleOf),
    minLength: num(o.minLength),
    maxLength: num(o.maxLength),
    minItems: num(o.minItems),
    maxItems: num(o.maxItems),
    uniqueItems: o.uniqueItems === true,
    minProperties: num(o.minProperties),
    maxProperties: num(o.maxProperties),
    allOf: Array.isArray(o.allOf) ? o.allOf.map(compileNode) : undefined,
    anyOf: Array.isArray(o.anyOf) ? o.anyOf.map(compileNode) : undefined,
    oneOf: Array.isArray(o.oneOf) ? o.oneOf.map(compileNode) : undefined,
    not: o.not !== undefined ? compileNode(o.not) : undefined,
    listType: ['atomic', 'set', 'map'].includes(o['x-kubernetes-list-type'] as string) ? (o['x-kubernetes-list-type'] as 'atomic') : undefined,
    listMapKeys: Array.isArray(o['x-kubernetes-list-map-keys']) ? (o['x-kubernetes-list-map-keys'] as string[]) : undefined,
    mapType: o['x-kubernetes-map-type'] === 'atomic' ? 'atomic' : o['x-kubernetes-map-type'] === 'granular' ? 'granular' : undefined,
    rules: compileRules(o['x-kubernetes-validations']),
    defaults: undefined,
    hasDefaults: false,
    prunes: false,
  };
  if (node.patternSource) {
    try {
      node.pattern = new RegExp(node.patternSource, 'u');
    } catch {
      try {
        node.pattern = new RegExp(node.patternSource);
      } catch {
        node.pattern = undefined;
      }
    }
  }
  // The int-or-string anyOf is checked by the built-in int-or-string rule; drop it to not report twice.
  if (node.intOrString && isIntOrStringAnyOf(o.anyOf)) node.anyOf = undefined;
  if (node.properties) {
    for (const [k, v] of node.properties) {
      if (isObject(props![k]) && (props![k] as JsonObject).default !== undefined) (node.defaults ??= []).push([k, (props![k] as JsonObject).default]);
      if (v.hasDefaults) node.hasDefaults = true;
    }
  }
  if (node.defaults) node.hasDefaults = true;
  if (node.items?.hasDefaults || (node.additional !== true && node.additional?.hasDefaults)) node.hasDefaults = true;
  // Anything that is an object without preserve-unknown-fields, or holds one, can prune.
  node.prunes =
    (!node.preserveUnknown && (node.type === 'object' || node.properties !== undefined) && node.additional === undefined) ||
    node.embedded ||
    [...(node.properties?.values() ?? [])].some((c) => c.prunes) ||
    (node.items?.prunes ?? false) ||
    (node.additional !== undefined && node.additional !== true && node.additional.prunes);
  return node;
}

// ---- pruning ----

/** ObjectMeta's fields: everything else under metadata is dropped, as decoding into ObjectMeta does. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

function pruneMeta(meta: unknown, path: string, pruned: string[]): void {
  if (!isObject(meta)) return;
  for (const k of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      delete meta[k];
      pruned.push(`${path}.${k}`);
    }
  }
}

function pruneValue(v: unknown, node: Node, path: string, pruned: string[], isRoot: boolean): void {
  if (Array.isArray(v)) {
    if (node.items && node.items.prunes) for (let i = 0; i < v.length; i++) pruneValue(v[i], node.items, `${path}[${i}]`, pruned, false);
    return;
  }
  if (!isObject(v)) return;
  const keepTypeMeta = isRoot || node.embedded;
  for (const k of Object.keys(v)) {
    if (keepTypeMeta && (k === 'apiVersion' || k === 'kind')) continue;
    if (keepTypeMeta && k === 'metadata') {
      pruneMeta(v[k], child(path, k), pruned);
      continue;
    }
    const c = node.properties?.get(k);
    if (c) {
      // Non-nullable nulls are dropped silently (k8s' PruneNonNullableNullsWithoutDefaults);
      // applyDefaults then fills in a default where the schema has one.
      if (v[k] === null && !c.nullable) delete v[k];
      else if (c.prunes) pruneValue(v[k], c, child(path, k), pruned, false);
      continue;
    }
    if (node.additional !== undefined) {
      if (node.additional !== true && node.additional.prunes) pruneValue(v[k], node.additional, child(path, k), pruned, false);
      continue;
    }
    if (node.preserveUnknown) continue;
    delete v[k];
    pruned.push(child(path, k));
  }
}

// ---- defaulting ----

function defaultValue(v: unknown, node: Node): void {
  if (Array.isArray(v)) {
    if (node.items?.hasDefaults) for (const x of v) defaultValue(x, node.items);
    return;
  }
  if (!isObject(v)) return;
  if (node.defaults) {
    for (const [k, d] of node.defaults) {
      const cur = v[k];
      // A null in a non-nullable field with a default is replaced by the default, as k8s does.
      if (cur === undefined || (cur === null && !node.properties!.get(k)!.nullable)) v[k] = deepClone(d);
    }
  }
  if (node.properties) {
    for (const [k, c] of node.properties) {
      const cur = v[k];
      if (c.hasDefaults && cur !== undefined && cur !== null) defaultValue(cur, c);
    }
  }
  if (node.additional !== undefined && node.additional !== true && node.additional.hasDefaults) {
    for (const k of Object.keys(v)) if (!node.properties?.has(k)) defaultValue(v[k], node.additional);
  }
}

// ---- copy-on-write admission (prune + defaults without touching the input) ----

function admitValue(v: unknown, node: Node, path: string, pruned: string[], isRoot: boolean): unknown {
  if (Array.isArray(v)) {
    const it = node.items;
    if (!it || !(it.prunes || it.hasDefaults)) return v;
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const nv = admitValue(v[i], it, `${path}[${i}]`, pruned, false);
      if (nv !== v[i]) (out ??= v.slice())[i] = nv;
    }
    return out ?? v;
  }
  if (!isObject(v)) return v;
  let out: JsonObject | undefined;
  const w = (): JsonObject => (out ??= { ...v });
  const keepTypeMeta = isRoot || node.embedded;
  for (const k of Object.keys(v)) {
    const cur = v[k];
    if (keepTypeMeta && (k === 'apiVersion' || k === 'kind')) continue;
    if (keepTypeMeta && k === 'metadata') {
      if (isObject(cur) && Object.keys(cur).some((mk) => !OBJECT_META_FIELDS.has(mk))) {
        const meta = { ...cur };
        pruneMeta(meta, child(path, k), pruned);
        w()[k] = meta;
      }
      continue;
    }
    const c = node.properties?.get(k) ?? (node.additional !== undefined && node.additional !== true ? node.additional : undefined);
    if (c) {
      if (cur === null && !c.nullable && node.properties?.has(k)) {
        delete w()[k];
        continue;
      }
      if (c.prunes || c.hasDefaults) {
        const nv = admitValue(cur, c, child(path, k), pruned, false);
        if (nv !== cur) w()[k] = nv;
      }
      continue;
    }
    if (node.additional === true || node.preserveUnknown) continue;
    delete w()[k];
    pruned.push(child(path, k));
  }
  if (node.defaults) {
    for (const [k, d] of node.defaults) {
      const cur = (out ?? v)[k];
      if (cur === undefined || (cur === null && !node.properties!.get(k)!.nullable)) w()[k] = deepClone(d);
    }
  }
  return out ?? v;
}

// ---- validation ----

const FORMAT_CHECKS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  datetime: (s) => FORMAT_CHECKS['date-time']!(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  duration: (s) => /^(-?\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w)\s*)+$/.test(s) || /^0$/.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  ipv6: (s) => /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':'),
  cidr: (s) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s),
  mac: (s) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s),
  hostname: (s) => s.length <= 255 && /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s),
};

const numText = (n: number): string => (Number.isInteger(n) && Math.abs(n) < 1e21 ? String(n) : goFloat(n));

/** Mutable path stack of raw keys and indexes; a path string is only built when an error is reported. */
class PathStack {
  readonly parts: Array<string | number> = [];
  push(key: string): void {
    this.parts.push(key);
  }
  pushIndex(i: number): void {
    this.parts.push(i);
  }
  pop(): void {
    this.parts.pop();
  }
  toString(): string {
    let s = '';
    for (const p of this.parts) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
    return s;
  }
}

/** Length in code points, as Go's utf8.RuneCountInString (kube-openapi counts runes). */
function runeLength(v: string): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
    else {
      n++;
      i++;
    }
  }
  return n;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return true;
  }
}

function listKeyOf(el: unknown, keys: string[]): string {
  if (!isObject(el)) return JSON.stringify(el);
  return JSON.stringify(keys.map((k) => el[k] ?? null));
}

function validateValue(v: unknown, node: Node, path: PathStack, errs: FieldError[], isRoot: boolean): void {
  if (v === null || v === undefined) {
    if (node.type && !node.nullable) {
      const p = path.toString();
      errs.push(fieldErrors.typeInvalid(p, 'null', `${p} in body must be of type ${node.type}: "null"`));
    }
    return;
  }
  if (node.intOrString) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must validate at least one schema (anyOf)`));
      errs.push(fieldErrors.typeInvalid(p, jsonTypeOf(v), `${p} in body must be of type integer: "${jsonTypeOf(v)}"`));
      return;
    }
  } else if (node.type && !typeMatches(node.type, v)) {
    const p = path.toString();
    const t = jsonTypeOf(v);
    errs.push(fieldErrors.typeInvalid(p, t, `${p} in body must be of type ${node.type}: "${t}"`));
    return;
  }

  if (node.enumValues && !node.enumValues.some((e) => deepEqual(e, v))) {
    errs.push(
      fieldErrors.notSupported(
        path.toString(),
        v,
        node.enumValues.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }

  if (typeof v === 'string') validateString(v, node, path, errs);
  else if (typeof v === 'number') validateNumber(v, node, path, errs);
  else if (Array.isArray(v)) validateArray(v, node, path, errs);
  else if (isObject(v)) validateObject(v, node, path, errs, isRoot);

  if (node.rules) {
    for (const r of node.rules) {
      if (r.compiled.check(v)) continue;
      const p = path.toString() + r.fieldPath;
      const typeName = node.type || jsonTypeOf(v);
      if (r.reason === 'FieldValueForbidden') errs.push(fieldErrors.forbidden(p, r.message));
      else if (r.reason === 'FieldValueRequired') errs.push(fieldErrors.required(p, r.message));
      else if (r.reason === 'FieldValueDuplicate') errs.push(fieldErrors.duplicate(p, typeName));
      else errs.push(fieldErrors.invalid(p, typeName, r.message));
    }
  }
  if (node.allOf) for (const s of node.allOf) validateValue(v, s, path, errs, false);
  if (node.anyOf) {
    let firstErrs: FieldError[] | undefined;
    let ok = false;
    for (const s of node.anyOf) {
      const e: FieldError[] = [];
      validateValue(v, s, path, e, false);
      if (e.length === 0) {
        ok = true;
        break;
      }
      firstErrs ??= e;
    }
    if (!ok) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must validate at least one schema (anyOf)`));
      if (firstErrs) errs.push(...firstErrs);
    }
  }
  if (node.oneOf) {
    let valid = 0;
    for (const s of node.oneOf) {
      const e: FieldError[] = [];
      validateValue(v, s, path, e, false);
      if (e.length === 0) valid++;
    }
    if (valid !== 1) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must validate one and only one schema (oneOf). Found ${valid} valid alternatives`));
    }
  }
  if (node.not) {
    const e: FieldError[] = [];
    validateValue(v, node.not, path, e, false);
    if (e.length === 0) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, '', `"${p}" must not validate the schema (not)`));
    }
  }
}

function validateString(v: string, node: Node, path: PathStack, errs: FieldError[]): void {
  // UTF-16 length bounds the rune count from above, so runes are only counted when it matters.
  if (node.maxLength !== undefined && v.length > node.maxLength && runeLength(v) > node.maxLength) {
    errs.push(fieldErrors.tooLongMaxLength(path.toString(), v, node.maxLength));
  }
  if (node.minLength !== undefined && (v.length < node.minLength || runeLength(v) < node.minLength)) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, v, `${p} in body should be at least ${node.minLength} chars long`));
  }
  if (node.pattern && !node.pattern.test(v)) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, v, `${p} in body should match '${node.patternSource}'`));
  }
  if (node.format) {
    const check = FORMAT_CHECKS[node.format];
    if (check && !check(v)) {
      const p = path.toString();
      errs.push(fieldErrors.typeInvalid(p, v, `${p} in body must be of type ${node.format}: ${JSON.stringify(v)}`));
    }
  }
}

function validateNumber(v: number, node: Node, path: PathStack, errs: FieldError[]): void {
  if (node.multipleOf !== undefined && node.multipleOf > 0) {
    const q = v / node.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p, v, `${p} in body should be a multiple of ${numText(node.multipleOf)}`));
    }
  }
  if (node.maximum !== undefined && (node.exclusiveMaximum ? v >= node.maximum : v > node.maximum)) {
    const p = path.toString();
    errs.push(
      fieldErrors.invalid(p, v, `${p} in body should be less than ${node.exclusiveMaximum ? '' : 'or equal to '}${numText(node.maximum)}`),
    );
  }
  if (node.minimum !== undefined && (node.exclusiveMinimum ? v <= node.minimum : v < node.minimum)) {
    const p = path.toString();
    errs.push(
      fieldErrors.invalid(p, v, `${p} in body should be greater than ${node.exclusiveMinimum ? '' : 'or equal to '}${numText(node.minimum)}`),
    );
  }
}

function validateArray(v: unknown[], node: Node, path: PathStack, errs: FieldError[]): void {
  if (node.maxItems !== undefined && v.length > node.maxItems) errs.push(fieldErrors.tooMany(path.toString(), v.length, node.maxItems));
  if (node.minItems !== undefined && v.length < node.minItems) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, v.length, `${p} in body should have at least ${node.minItems} items`));
  }
  if (node.uniqueItems) {
    for (let i = 0; i < v.length; i++) {
      if (v.slice(0, i).some((x) => deepEqual(x, v[i]))) {
        const p = path.toString();
        errs.push(fieldErrors.invalid(p, '', `${p} in body shouldn't contain duplicates`));
        break;
      }
    }
  }
  if (node.items) {
    for (let i = 0; i < v.length; i++) {
      path.pushIndex(i);
      validateValue(v[i], node.items, path, errs, false);
      path.pop();
    }
  }
  // x-kubernetes-list-type uniqueness (apiextensions' listtype validation).
  if (node.listType === 'set' && v.length > 1) {
    const seen = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const k = JSON.stringify(v[i]);
      if (seen.has(k)) {
        path.pushIndex(i);
        errs.push(fieldErrors.duplicate(path.toString(), v[i]));
        path.pop();
      }
      seen.add(k);
    }
  } else if (node.listType === 'map' && node.listMapKeys && v.length > 1) {
    const seen = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const k = listKeyOf(v[i], node.listMapKeys);
      if (seen.has(k)) {
        const el = v[i];
        const keyObj: JsonObject = {};
        if (isObject(el)) for (const mk of node.listMapKeys) if (el[mk] !== undefined) keyObj[mk] = el[mk];
        path.pushIndex(i);
        errs.push(fieldErrors.duplicate(path.toString(), keyObj));
        path.pop();
      }
      seen.add(k);
    }
  }
}

function validateObject(v: JsonObject, node: Node, path: PathStack, errs: FieldError[], isRoot: boolean): void {
  const embeddedOrRoot = isRoot || node.embedded;
  if (node.required) {
    for (const r of node.required) {
      if (v[r] === undefined) {
        path.push(r);
        errs.push(fieldErrors.required(path.toString()));
        path.pop();
      }
    }
  }
  if (node.embedded) {
    for (const k of ['apiVersion', 'kind']) {
      if (typeof v[k] !== 'string' || v[k] === '') {
        path.push(k);
        errs.push(fieldErrors.required(path.toString(), 'must not be empty'));
        path.pop();
      }
    }
  }
  const count = node.minProperties !== undefined || node.maxProperties !== undefined ? Object.keys(v).length : 0;
  if (node.maxProperties !== undefined && count > node.maxProperties) errs.push(fieldErrors.tooMany(path.toString(), count, node.maxProperties));
  if (node.minProperties !== undefined && count < node.minProperties) {
    const p = path.toString();
    errs.push(fieldErrors.invalid(p, node.minProperties, `${p} in body should have at least ${node.minProperties} properties`));
  }
  for (const k in v) {
    // ObjectMeta and type meta are validated by the server itself, not by the CRD schema.
    if (embeddedOrRoot && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
    if (v[k] === undefined) continue;
    const c = node.properties?.get(k);
    if (c) {
      path.push(k);
      validateValue(v[k], c, path, errs, false);
      path.pop();
    } else if (node.additional !== undefined && node.additional !== true) {
      path.push(k);
      validateValue(v[k], node.additional, path, errs, false);
      path.pop();
    } else if (node.additionalForbidden) {
      const p = path.toString();
      errs.push(fieldErrors.invalid(p ? `${p}.${k}` : k, k, `${p ? `${p}.${k}` : k} in body is a forbidden property`));
    }
  }
}

// ---- list types for server-side apply / strategic merge ----

function toPatchSchema(node: Node, isResource = false): PatchSchema {
  const out: PatchSchema = {};
  if (node.properties) {
    out.fields = {};
    for (const [k, c] of node.properties) out.fields[k] = toPatchSchema(c, c.embedded);
  }
  if (isResource) {
    // ObjectMeta's own list types (finalizers as a set, ownerReferences by uid) hold for custom resources too.
    out.fields = { ...out.fields, metadata: objectMetaPatchSchema };
  }
  if (node.additional !== undefined && node.additional !== true) out.values = toPatchSchema(node.additional);
  if (node.items) out.items = toPatchSchema(node.items);
  if (node.type === 'array') {
    out.listType = node.listType ?? 'atomic';
    if (node.listMapKeys) out.listMapKeys = node.listMapKeys;
  }
  if (node.mapType) out.mapType = node.mapType;
  return out;
}

export interface AdmitResult {
  /** The pruned and defaulted object: `obj` itself when nothing changed, else a copy sharing untouched parts. */
  object: JsonObject;
  /** Paths of dropped unknown fields (for `unknown field "<path>"` warnings). */
  unknownFields: string[];
  errors: FieldError[];
}

export interface CompiledSchema {
  /**
   * Prune, default, then validate, as kube-apiserver admits a custom resource, without mutating
   * `obj` (safe on patch results that share subtrees with a stored object).
   */
  admit(obj: JsonObject): AdmitResult;
  /** OpenAPI validation of a (pruned, defaulted) object; errors worded as kube-apiserver's. */
  validate(obj: unknown): FieldError[];
  /**
   * Drops fields the schema does not know (unless x-kubernetes-preserve-unknown-fields), in place.
   * Root and embedded resources keep apiVersion, kind and ObjectMeta fields. Returns the dropped paths
   * (kube-apiserver reports them as `unknown field "<path>"` warnings).
   */
  prune(obj: unknown): string[];
  /** Fills in schema defaults in place, and drops nulls of non-nullable fields without a default. */
  applyDefaults(obj: unknown): void;
  /** The schema's list types (x-kubernetes-list-type / list-map-keys) for server-side apply. */
  readonly patchSchema: PatchSchema;
}

/** Compiles a CRD version's openAPIV3Schema once for fast repeated use. */
export function compileSchema(schema: OpenAPISchema): CompiledSchema {
  const root = compileNode(schema);
  let patchSchema: PatchSchema | undefined;
  return {
    admit(obj: JsonObject): AdmitResult {
      const unknownFields: string[] = [];
      const object = admitValue(obj, root, '', unknownFields, true) as JsonObject;
      const errors: FieldError[] = [];
      validateValue(object, root, new PathStack(), errors, true);
      return { object, unknownFields, errors };
    },
    validate(obj: unknown): FieldError[] {
      const errs: FieldError[] = [];
      validateValue(obj, root, new PathStack(), errs, true);
      return errs;
    },
    prune(obj: unknown): string[] {
      const pruned: string[] = [];
      pruneValue(obj, root, '', pruned, true);
      return pruned;
    },
    applyDefaults(obj: unknown): void {
      if (root.hasDefaults || root.properties) defaultValue(obj, root);
    },
    get patchSchema(): PatchSchema {
      return (patchSchema ??= toPatchSchema(root, true));
    },
  };
}
