// A CRD schema compiled once into a tree of nodes, so that pruning, defaulting and validating an
// object walk only the object. x-kubernetes-validations rules are compiled here through cel.ts;
// transition rules (oldSelf) and rules that do not parse are accepted and not enforced.
import { isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { compileCelRule } from './cel.ts';
import type { CompiledRule } from './cel.ts';
import { isIntOrStringAnyOf } from './schema-check.ts';

export interface ValidationRule {
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

export interface Node {
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

export function compileNode(s: unknown): Node {
  const o = isObject(s) ? s : {};
  const props = isObject(o.properties) ? o.properties : undefined;
  const node: Node = {
    ...shapeOf(o, props),
    ...limitsOf(o),
    ...junctorsOf(o),
    ...mergeTypesOf(o),
    rules: compileRules(o['x-kubernetes-validations']),
    defaults: undefined,
    hasDefaults: false,
    prunes: false,
  };
  // The int-or-string anyOf is checked by the built-in int-or-string rule; drop it to not report twice.
  if (node.intOrString && isIntOrStringAnyOf(o.anyOf)) node.anyOf = undefined;
  summarize(node, props);
  return node;
}

/** Type, extensions and the nodes below. */
function shapeOf(o: JsonObject, props: JsonObject | undefined) {
  return {
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
  } satisfies Partial<Node>;
}

/** Enum, pattern, format and the numeric, length and count bounds. */
function limitsOf(o: JsonObject) {
  const patternSource = typeof o.pattern === 'string' ? o.pattern : '';
  return {
    enumValues: Array.isArray(o.enum) ? o.enum : undefined,
    pattern: patternSource ? compilePattern(patternSource) : undefined,
    patternSource,
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
  } satisfies Partial<Node>;
}

function junctorsOf(o: JsonObject) {
  return {
    allOf: Array.isArray(o.allOf) ? o.allOf.map(compileNode) : undefined,
    anyOf: Array.isArray(o.anyOf) ? o.anyOf.map(compileNode) : undefined,
    oneOf: Array.isArray(o.oneOf) ? o.oneOf.map(compileNode) : undefined,
    not: o.not !== undefined ? compileNode(o.not) : undefined,
  } satisfies Partial<Node>;
}

/** List and map types for server-side apply. */
function mergeTypesOf(o: JsonObject) {
  return {
    listType: ['atomic', 'set', 'map'].includes(o['x-kubernetes-list-type'] as string) ? (o['x-kubernetes-list-type'] as 'atomic') : undefined,
    listMapKeys: Array.isArray(o['x-kubernetes-list-map-keys']) ? (o['x-kubernetes-list-map-keys'] as string[]) : undefined,
    mapType: o['x-kubernetes-map-type'] === 'atomic' ? 'atomic' : o['x-kubernetes-map-type'] === 'granular' ? 'granular' : undefined,
  } satisfies Partial<Node>;
}

/** A pattern as a Unicode RegExp, else a plain one; one that compiles neither way is not enforced. */
function compilePattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      return new RegExp(source);
    } catch {
      return undefined;
    }
  }
}

/** The defaults of the node's fields, and whether defaulting or pruning walks need to go below it. */
function summarize(node: Node, props: JsonObject | undefined): void {
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
}
