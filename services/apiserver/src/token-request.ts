/**
 * POST serviceaccounts/NAME/token: an authentication.k8s.io/v1 TokenRequest, answered with a signed
 * service-account token (`kubectl create token`). Never stored. As kube-apiserver 1.26:
 * expirationSeconds defaults to 3600 and may not be under 10 minutes (longer than
 * --service-account-max-token-expiration is shortened to it, with a warning), audiences default to the
 * server's. spec.boundObjectRef is embedded in the claims but not checked (the object need not
 * exist, and deleting it does not revoke the token).
 */
import { fieldErrors, type FieldError } from '@virtsim/apimachinery';
import type { ResourceRequest } from './resource-request.ts';
import { badRequest, invalid, notFound, StatusError } from './status.ts';
import { admitSubresourceCreate } from './webhook-writes.ts';

type Obj = Record<string, any>;
const GROUP = 'authentication.k8s.io';
const KIND = 'TokenRequest';
const DEFAULT_EXPIRATION_S = 3600;

export const isTokenRequest = (r: ResourceRequest) => r.rt.group === '' && r.rt.resource === 'serviceaccounts' && r.sub === 'token';

/** kube's ValidateTokenRequest, and that metadata may only repeat the URL's name and namespace. */
function validate(md: Obj, spec: Obj, name: string, ns: string): FieldError[] {
  const errs: FieldError[] = [];
  if (md.name && md.name !== name) errs.push(fieldErrors.invalid('metadata.name', md.name, 'must match the service account name if specified'));
  if (md.namespace && md.namespace !== ns) errs.push(fieldErrors.invalid('metadata.namespace', md.namespace, 'must match the service account namespace if specified'));
  if (spec.expirationSeconds < 600) errs.push(fieldErrors.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 10 minutes'));
  if (spec.expirationSeconds > 2 ** 32) errs.push(fieldErrors.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  return errs;
}

/** The request's spec with kube's defaults; 400 for what its JSON decoding would refuse. */
function specOf(body: Obj, audiences: string[]): Obj {
  if (body.kind !== undefined && body.kind !== KIND) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${KIND})`);
  const spec: Obj = { ...(body.spec ?? {}) };
  spec.expirationSeconds ??= DEFAULT_EXPIRATION_S;
  if (!Number.isInteger(spec.expirationSeconds)) throw badRequest('spec.expirationSeconds: expected an integer');
  if (spec.audiences !== undefined && (!Array.isArray(spec.audiences) || spec.audiences.some((a: unknown) => typeof a !== 'string')))
    throw badRequest('spec.audiences: expected a list of strings');
  if (!spec.audiences?.length) spec.audiences = audiences;
  spec.boundObjectRef ??= null;
  return spec;
}

/** Authorized already as `create` on serviceaccounts/token: issues the token, answers 201. */
export async function serveTokenRequest(r: ResourceRequest, name: string): Promise<string> {
  const issuer = r.state.auth.serviceAccounts;
  if (!issuer) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  const ns = r.nsKey;
  let body = await r.object();
  if (r.viaWebhooks('CREATE')) body = await admitSubresourceCreate(r, name, body, KIND, { group: GROUP, version: 'v1' });
  const spec = specOf(body, issuer.apiAudiences);
  const md: Obj = { ...(body.metadata ?? {}) };
  const sa = r.state.store.get(r.rt.storeKey, ns, name);
  if (!sa) throw notFound('', 'serviceaccounts', name);
  const errs = validate(md, spec, name, ns);
  if (errs.length) throw invalid(KIND, GROUP, '', errs);
  const max = issuer.maxExpirationSeconds;
  if (max > 0 && spec.expirationSeconds > max) {
    r.res.setHeader('warning', `299 - ${JSON.stringify(`requested expiration of ${spec.expirationSeconds} seconds shortened to ${max} seconds`)}`);
    spec.expirationSeconds = max;
  }
  const now = Date.now();
  const { token, exp } = issuer.issue({ namespace: ns, name, uid: sa.uid, audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: spec.boundObjectRef ?? undefined }, now);
  const metadata = { ...md, name, namespace: ns, creationTimestamp: isoSeconds(now) };
  const status = { token, expirationTimestamp: isoSeconds(exp * 1000) };
  r.send(201, JSON.stringify({ kind: KIND, apiVersion: `${GROUP}/v1`, metadata, spec, status }));
  return 'create';
}

const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
