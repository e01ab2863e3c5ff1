// metav1.Status bodies for failed requests, with k8s.io/apimachinery/pkg/api/errors' reasons,
// codes and messages (kubectl prints `Error from server (<Reason>): <message>`).
import type { FieldError } from './errors.ts';
import { fieldErrorsToCauses, formatInvalidMessage } from './errors.ts';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | '';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { resourceVersion?: string; continue?: string };
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A group/resource pair: `pods`, `virtualmachineinstances.kubevirt.io`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** A group/kind pair: `Pod`, `VirtualMachineInstance.kubevirt.io`. */
export interface GroupKind {
  group: string;
  kind: string;
}

export const groupResourceString = (gr: GroupResource): string => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);
export const groupKindString = (gk: GroupKind): string => (gk.group ? `${gk.kind}.${gk.group}` : gk.kind);

function status(code: number, reason: StatusReason, message: string, details?: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

const resourceDetails = (gr: GroupResource, name: string): StatusDetails => ({
  ...(name ? { name } : {}),
  ...(gr.group ? { group: gr.group } : {}),
  kind: gr.resource,
});

/** The message used when an update carries a stale resourceVersion. */
export const OPTIMISTIC_LOCK_ERROR_MSG = 'the object has been modified; please apply your changes to the latest version and try again';

/** The 410 message when a list continues from a compacted revision. */
export const INCONSISTENT_CONTINUE_MSG =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export const statusErrors = {
  /** 404: `pods "x" not found`. */
  notFound: (gr: GroupResource, name: string): Status =>
    status(404, 'NotFound', `${groupResourceString(gr)} ${JSON.stringify(name)} not found`, resourceDetails(gr, name)),
  /** 404 for a path no resource serves (`the server could not find the requested resource`). */
  notFoundPath: (): Status => status(404, 'NotFound', 'the server could not find the requested resource', {}),
  /** 409: `pods "x" already exists`. */
  alreadyExists: (gr: GroupResource, name: string): Status =>
    status(409, 'AlreadyExists', `${groupResourceString(gr)} ${JSON.stringify(name)} already exists`, resourceDetails(gr, name)),
  /** 409: `Operation cannot be fulfilled on pods "x": <detail>` (stale resourceVersion: OPTIMISTIC_LOCK_ERROR_MSG). */
  conflict: (gr: GroupResource, name: string, detail: string = OPTIMISTIC_LOCK_ERROR_MSG): Status =>
    status(409, 'Conflict', `Operation cannot be fulfilled on ${groupResourceString(gr)} ${JSON.stringify(name)}: ${detail}`, resourceDetails(gr, name)),
  /** 409 server-side apply conflict, with conflictMessage/conflictCauses from server-side-apply.ts. */
  applyConflict: (message: string, causes: StatusCause[]): Status => status(409, 'Conflict', message, { causes }),
  /** 422: `Pod "x" is invalid: <field errors>`. */
  invalid: (gk: GroupKind, name: string, errs: FieldError[]): Status =>
    status(422, 'Invalid', formatInvalidMessage(groupKindString(gk), name, errs), {
      ...(name ? { name } : {}),
      ...(gk.group ? { group: gk.group } : {}),
      kind: gk.kind,
      causes: fieldErrorsToCauses(errs),
    }),
  /** 422 without a kind (a patch that does not apply). */
  unprocessable: (message: string): Status => status(422, 'Invalid', message, {}),
  badRequest: (message: string): Status => status(400, 'BadRequest', message),
  unauthorized: (message = 'Unauthorized'): Status => status(401, 'Unauthorized', message),
  /** 403: `pods "x" is forbidden: <why>` (or `pods is forbidden: <why>` without a name). */
  forbidden: (gr: GroupResource, name: string, why: string): Status =>
    status(
      403,
      'Forbidden',
      name ? `${groupResourceString(gr)} ${JSON.stringify(name)} is forbidden: ${why}` : `${groupResourceString(gr)} is forbidden: ${why}`,
      resourceDetails(gr, name),
    ),
  /** 405: `<verb> is not supported on resources of kind "pods"`. */
  methodNotSupported: (gr: GroupResource, action: string): Status =>
    status(405, 'MethodNotAllowed', `${action} is not supported on resources of kind ${JSON.stringify(groupResourceString(gr))}`, resourceDetails(gr, '')),
  /** 410 Expired: `too old resource version: 5 (10)`. */
  resourceExpired: (message: string): Status => status(410, 'Expired', message),
  tooOldResourceVersion: (requested: number | bigint | string, oldest: number | bigint | string): Status =>
    status(410, 'Expired', `too old resource version: ${requested} (${oldest})`),
  gone: (message: string): Status => status(410, 'Gone', message),
  /** 413: `Request entity too large: <detail>`. */
  requestEntityTooLarge: (detail: string): Status => status(413, 'RequestEntityTooLarge', `Request entity too large: ${detail}`),
  /** 415 for a body type the endpoint does not take. */
  unsupportedMediaType: (accepted: string[]): Status =>
    status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  notAcceptable: (accepted: string[]): Status =>
    status(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`),
  tooManyRequests: (message: string, retryAfterSeconds = 1): Status => status(429, 'TooManyRequests', message, { retryAfterSeconds }),
  /** 500: `Internal error occurred: <err>`. */
  internal: (err: string): Status => status(500, 'InternalError', `Internal error occurred: ${err}`, { causes: [{ message: err }] }),
  serviceUnavailable: (message: string): Status => status(503, 'ServiceUnavailable', message),
  /** 504 / Timeout reason as for a request that ran out of time. */
  timeout: (message: string, retryAfterSeconds = 0): Status => status(504, 'Timeout', message, { retryAfterSeconds }),
};

/** A Status for a generic error code (apierrors.FromObject of an unknown error keeps the code, reason ""). */
export function statusFromCode(code: number, message: string): Status {
  return status(code, '', message);
}

/** RBAC's denial text: `User "u" cannot get resource "pods" in API group "" in the namespace "default"`. */
export function forbiddenReason(opts: {
  user: string;
  verb: string;
  resource: string;
  subresource?: string;
  group: string;
  namespace?: string;
}): string {
  const res = opts.subresource ? `${opts.resource}/${opts.subresource}` : opts.resource;
  const scope = opts.namespace ? `in the namespace ${JSON.stringify(opts.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(opts.user)} cannot ${opts.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(opts.group)} ${scope}`;
}

/** The Warning header text for a pruned field (fieldValidation=Warn, kubectl's default for apply without --validate). */
export const unknownFieldWarning = (path: string): string => `unknown field "${path}"`;

/**
 * fieldValidation=Strict (kubectl's --validate=strict, its default): unknown fields are a 400
 * `VirtualMachineInstance in version "v1" cannot be handled as a VirtualMachineInstance: strict decoding error: unknown field "spec.foo"`.
 */
export function strictDecodingError(kind: string, version: string, unknownFields: string[]): Status {
  return statusErrors.badRequest(
    `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: strict decoding error: ${unknownFields.map(unknownFieldWarning).join(', ')}`,
  );
}
