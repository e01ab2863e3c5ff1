/**
 * authentication.k8s.io/v1 TokenReview: create-only, never stored (like the access reviews). The
 * answer says whether the token authenticates, through the same checks requests meet (static
 * tokens, then service-account tokens), for spec.audiences or else the server's; a bad token is
 * `authenticated: false` with status.error, not an HTTP error.
 */
import type { ResourceRequest } from './resource-request.ts';
import { badRequest } from './status.ts';

type Obj = Record<string, any>;
const GROUP = 'authentication.k8s.io';

export const isTokenReview = (group: string, resource: string) => group === GROUP && resource === 'tokenreviews';

/** POST of a TokenReview (its create already authorized): answers 201 with status. */
export async function serveTokenReview(r: ResourceRequest): Promise<string> {
  const { rt } = r;
  const body = await r.object();
  if (body.kind !== undefined && body.kind !== rt.kind) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
  const spec: Obj = { ...(body.spec ?? {}) };
  if (spec.token !== undefined && typeof spec.token !== 'string') throw badRequest('spec.token: expected a string');
  if (spec.audiences !== undefined && (!Array.isArray(spec.audiences) || spec.audiences.some((a: unknown) => typeof a !== 'string')))
    throw badRequest('spec.audiences: expected a list of strings');
  if (!spec.token) throw badRequest('token is required for TokenReview in authentication');
  const result = r.state.auth.check(spec.token, spec.audiences);
  const status: Obj = { user: {} };
  if ('error' in result) status.error = result.error;
  else {
    const { username, uid, groups } = result.user;
    status.authenticated = true;
    status.user = { username, ...(uid ? { uid } : {}), groups, ...(result.user.extra ? { extra: result.user.extra } : {}) };
    status.audiences = result.audiences;
  }
  const metadata = { ...(body.metadata ?? {}), creationTimestamp: null };
  r.send(201, JSON.stringify({ kind: rt.kind, apiVersion: `${GROUP}/${rt.version}`, metadata, spec, status }));
  return 'create';
}
