/**
 * Service-account tokens as kube-apiserver issues and accepts them: JWTs with its claims (iss, sub,
 * aud, exp, iat, nbf and `kubernetes.io`), accepted while unexpired, meant for an accepted audience,
 * and their service account still there with the same uid (so deleting it revokes its tokens).
 */
import type { UserInfo } from './auth.ts';
import { signJwt, verifyJwt, type Claims } from './sa-jwt.ts';
import type { SigningKey } from './sa-key.ts';

/** kube-apiserver's usual --service-account-issuer, and so its default --api-audiences. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** The uid of a stored ServiceAccount, or undefined when there is none (all the authenticator may see of the store). */
export type ServiceAccountLookup = (namespace: string, name: string) => string | undefined;

export interface TokenGrant {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds: number;
  /** spec.boundObjectRef: embedded in the claims (a Pod or Secret), not enforced. */
  boundObjectRef?: { kind?: string; name?: string; uid?: string };
}

export type TokenCheck = { user: UserInfo; audiences: string[] } | { error: string };

const CACHE_MAX = 4096;
/** Clock skew allowed on nbf, as kube's validator (go-jose's default leeway). */
const LEEWAY_S = 60;

/** kube-apiserver's --service-account-issuer (repeatable), --api-audiences and --service-account-max-token-expiration. */
export interface ServiceAccountTokenOptions {
  /** The first issues tokens; every one is accepted (how kube rotates an issuer). Default: DEFAULT_ISSUER. */
  issuers?: string[];
  /** Default: the first issuer. */
  apiAudiences?: string[];
  /** A TokenRequest asking for longer gets this long (with a warning); 0 or unset: no cap. */
  maxExpirationSeconds?: number;
}

export class ServiceAccountTokens {
  /** The issuer of new tokens. */
  readonly issuer: string;
  readonly acceptedIssuers: ReadonlySet<string>;
  /** What a token must be meant for to authenticate requests to this server. */
  readonly apiAudiences: string[];
  readonly maxExpirationSeconds: number;
  /** The JWKS key of the signing key (OIDC discovery). */
  readonly jwk: Record<string, string>;
  private readonly key: SigningKey;
  private readonly lookup: ServiceAccountLookup;
  /** token -> claims whose signature was checked: verifying ES256 costs far more than a request. */
  private readonly verified = new Map<string, Claims>();

  constructor(key: SigningKey, lookup: ServiceAccountLookup, opts: ServiceAccountTokenOptions = {}) {
    this.key = key;
    this.lookup = lookup;
    const issuers = opts.issuers?.length ? opts.issuers : [DEFAULT_ISSUER];
    this.issuer = issuers[0]!;
    this.acceptedIssuers = new Set(issuers);
    this.apiAudiences = opts.apiAudiences?.length ? opts.apiAudiences : [this.issuer];
    this.maxExpirationSeconds = opts.maxExpirationSeconds ?? 0;
    this.jwk = { use: 'sig', alg: 'ES256', kid: key.kid, ...(key.publicKey.export({ format: 'jwk' }) as Record<string, string>) };
  }

  /** A signed token for the grant, and its expiry (unix seconds). */
  issue(g: TokenGrant, nowMs = Date.now()): { token: string; exp: number } {
    const now = Math.floor(nowMs / 1000);
    const exp = now + g.expirationSeconds;
    const k8s: Claims = { namespace: g.namespace, serviceaccount: { name: g.name, uid: g.uid } };
    const bound = g.boundObjectRef;
    if (bound?.kind === 'Pod' || bound?.kind === 'Secret') k8s[bound.kind.toLowerCase()] = { name: bound.name ?? '', uid: bound.uid ?? '' };
    const claims = { aud: g.audiences, exp, iat: now, iss: this.issuer, 'kubernetes.io': k8s, nbf: now, sub: `system:serviceaccount:${g.namespace}:${g.name}` };
    return { token: signJwt(this.key, claims), exp };
  }

  /** The token's service account, when the token is good for one of `audiences` (default: this server's). */
  check(token: string, audiences: string[] = this.apiAudiences, nowMs = Date.now()): TokenCheck {
    const claims = this.claimsOf(token);
    if (!claims) return { error: 'invalid bearer token, token could not be validated' };
    const now = nowMs / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < now) return { error: 'invalid bearer token, Token has expired.' };
    if (typeof claims.nbf === 'number' && claims.nbf > now + LEEWAY_S) return { error: 'invalid bearer token, Token not valid yet.' };
    const aud: string[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const accepted = audiences.filter((a) => aud.includes(a));
    if (accepted.length === 0) return { error: 'invalid bearer token, token audiences is invalid for the current authenticator' };
    const ns = claims['kubernetes.io']?.namespace;
    const sa = claims['kubernetes.io']?.serviceaccount;
    if (typeof ns !== 'string' || typeof sa?.name !== 'string') return { error: 'invalid bearer token, token could not be validated' };
    const uid = this.lookup(ns, sa.name);
    if (uid === undefined) return { error: `invalid bearer token, service account ${ns}/${sa.name} has been deleted` };
    if (uid !== sa.uid) return { error: `invalid bearer token, service account UID (${uid}) does not match claim (${sa.uid})` };
    const groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
    return { user: { username: `system:serviceaccount:${ns}:${sa.name}`, uid, groups }, audiences: accepted };
  }

  /** Claims of a token signed by our key and issued by us; verified once, then remembered. */
  private claimsOf(token: string): Claims | null {
    const hit = this.verified.get(token);
    if (hit) return hit;
    const claims = verifyJwt(this.key.publicKey, token);
    if (!claims || !this.acceptedIssuers.has(claims.iss)) return null;
    // Oldest first out: a Map keeps insertion order.
    if (this.verified.size >= CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }
}
