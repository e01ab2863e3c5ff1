// CRD openAPIV3Schema handling as apiextensions-apiserver does it: structural-schema checks at
// CRD create (schema-check.ts), and for every custom object a schema compiled once
// (schema-node.ts) that prunes and defaults (schema-prune.ts) and validates (schema-validate.ts).
import type { FieldError } from './errors.ts';
import type { JsonObject } from './json.ts';
import type { PatchSchema } from './patch-schema.ts';
import { objectMetaPatchSchema } from './patch-schema.ts';
import { compileNode, type Node } from './schema-node.ts';
import { admitValue, defaultValue, pruneValue } from './schema-prune.ts';
import { PathStack, validateValue } from './schema-validate.ts';

export { checkStructuralSchema } from './schema-check.ts';

/** A JSONSchemaProps as found in a CRD (decoded YAML/JSON). */
export type OpenAPISchema = Record<string, unknown>;

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
