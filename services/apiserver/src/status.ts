/** Kubernetes `Status` errors: every failure the server answers is a StatusError (from @virtsim/apimachinery, which the client throws too). */
import { StatusError, fieldErrorsToCauses, formatInvalidMessage, type FieldError, type StatusCause, type StatusDetails } from '@virtsim/apimachinery';

export { StatusError };
export type { StatusCause, StatusDetails };

/** `pods "x"` / `virtualmachineinstances.kubevirt.io "x"`: how kube-apiserver names a resource in messages. */
export function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (group: string, resource: string, name: string) =>
  new StatusError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (group: string, resource: string, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (group: string, resource: string, name: string, why: string) =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`, { name, group, kind: resource });

export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);

export const notAcceptable = (message: string) => new StatusError(406, 'NotAcceptable', message);

export const unsupportedMediaType = (contentType: string) =>
  new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})`);

export const methodNotAllowed = (verb: string, what: string) =>
  new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${what})`);

export const tooLarge = (limit: number) =>
  new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const expired = (message: string) => new StatusError(410, 'Expired', message);

export const unauthorized = () => new StatusError(401, 'Unauthorized', 'Unauthorized');

/** 422 Invalid, worded as kube-apiserver does (`Pod "x" is invalid: metadata.name: Invalid value: ...`). */
export function invalid(kind: string, group: string, name: string, errs: FieldError[]): StatusError {
  return new StatusError(422, 'Invalid', formatInvalidMessage(group ? `${kind}.${group}` : kind, name, errs), {
    name,
    group,
    kind,
    causes: fieldErrorsToCauses(errs),
  });
}

export function successStatus(details?: StatusDetails): Record<string, unknown> {
  const s: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  if (details) s.details = details;
  return s;
}
