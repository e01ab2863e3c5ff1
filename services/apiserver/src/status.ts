/** Kubernetes `Status` errors: every failure the server answers is one of these. */
import { fieldErrorsToCauses, formatInvalidMessage, type FieldError, type StatusCause, type StatusDetails } from '@virtsim/apimachinery';

export type { StatusCause, StatusDetails };

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `pods "x"` / `virtualmachineinstances.kubevirt.io "x"`: how kube-apiserver names a resource in messages. */
export function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (group: string, resource: string, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (group: string, resource: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (group: string, resource: string, name: string, why: string) =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`, {
    name,
    group,
    kind: resource,
  });

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const notAcceptable = (message: string) => new ApiError(406, 'NotAcceptable', message);

export const unsupportedMediaType = (contentType: string) =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})`);

export const methodNotAllowed = (verb: string, what: string) =>
  new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${what})`);

export const tooLarge = (limit: number) =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const expired = (message: string) => new ApiError(410, 'Expired', message);

export const forbidden = (user: string, verb: string, group: string, resource: string, ns: string, why = '') =>
  new ApiError(
    403,
    'Forbidden',
    `${qualified(group, resource)} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"` +
      (ns ? ` in the namespace "${ns}"` : ' at the cluster scope') +
      (why ? `: ${why}` : ''),
    { group, kind: resource },
  );

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** 422 Invalid, worded as kube-apiserver does (`Pod "x" is invalid: metadata.name: Invalid value: ...`). */
export function invalid(kind: string, group: string, name: string, errs: FieldError[]): ApiError {
  return new ApiError(422, 'Invalid', formatInvalidMessage(group ? `${kind}.${group}` : kind, name, errs), {
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
