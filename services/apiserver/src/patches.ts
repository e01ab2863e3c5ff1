/**
 * PATCH bodies by content type, applied with @virtsim/apimachinery. The result is a new object;
 * the stored one is never mutated (the patch functions share untouched subtrees).
 */
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, decodeJsonPatch, PatchError, patchSchemaFor } from '@virtsim/apimachinery';
import { mediaType, parseJson } from './body.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { StatusError, badRequest } from './status.ts';

type Obj = Record<string, any>;

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

export function patchTypeOf(contentType: string | undefined, rt: ResourceType): string {
  const mt = mediaType(contentType);
  const allowed = rt.crd ? PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json') : PATCH_TYPES;
  if (!allowed.includes(mt))
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${allowed.join(', ')}`);
  return mt;
}

/** Turns apimachinery's PatchError into the Status kube-apiserver answers. */
export function patchFailure(e: unknown): never {
  if (e instanceof PatchError) {
    if (e.code === 400) throw badRequest(e.message);
    if (e.code === 409) throw new StatusError(409, 'Conflict', e.message);
    if (e.code === 415) throw new StatusError(415, 'UnsupportedMediaType', e.message);
    if (e.code === 500) throw new StatusError(500, 'InternalError', e.message);
    throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${e.message}`, {
      causes: [{ reason: 'FieldValueInvalid', message: e.message }],
    });
  }
  throw e;
}

/** Applies a merge, JSON or strategic merge patch to `old`; returns the new object. */
export function applyPatchBody(type: string, rt: ResourceType, old: Obj, body: Buffer): Obj {
  const patch = parseJson(body);
  let out: unknown;
  try {
    switch (type) {
      case 'application/merge-patch+json':
        out = applyMergePatch(old, patch);
        break;
      case 'application/json-patch+json':
        out = applyJsonPatch(old, decodeJsonPatch(patch));
        break;
      case 'application/strategic-merge-patch+json':
        out = applyStrategicMergePatch(old, patch, patchSchemaFor(apiVersionOf({ group: rt.group, version: rt.version }), rt.kind));
        break;
      default:
        throw new StatusError(415, 'UnsupportedMediaType', `patch type ${type} is not supported for ${rt.resource}`);
    }
  } catch (e) {
    patchFailure(e);
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out))
    throw badRequest('the patch must leave a JSON object, not ' + (Array.isArray(out) ? 'an array' : String(out)));
  return out as Obj;
}
