/**
 * The bridge to @virtsim/apimachinery's structural schemas: checking a CRD's openAPIV3Schema, and
 * compiling it into the admit step (prune unknown fields, apply defaults, validate) for its objects.
 */
import { checkStructuralSchema, compileSchema, type CompiledSchema, type FieldError, type OpenAPISchema } from '@virtsim/apimachinery';

type Obj = Record<string, unknown>;

export function checkCrdSchema(schema: unknown, path: string): FieldError[] {
  return checkStructuralSchema(schema, path);
}

export interface CrdAdmission {
  admit(obj: Obj): FieldError[];
  compiled: CompiledSchema;
}

/** Prunes, defaults, then validates an object in place, as kube-apiserver does for custom resources. */
export function compileCrdSchema(schema: unknown): CrdAdmission {
  const compiled = compileSchema(schema as OpenAPISchema);
  return {
    compiled,
    admit(obj: Obj): FieldError[] {
      compiled.prune(obj);
      compiled.applyDefaults(obj);
      return compiled.validate(obj);
    },
  };
}
