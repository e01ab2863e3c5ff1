import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Attributes } from './rbac-rules.ts';
import { looksLikeJwt } from './sa-jwt.ts';
import type { ServiceAccountTokens, TokenCheck } from './sa-tokens.ts';
import { StatusError } from './status.ts';

export interface UserInfo {
  username: string;
  /** The user's uid (a service account's; a token file's third column). */
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
  /** The token's user, when this identity is impersonated. */
  impersonatedBy?: string;
}

export interface TokenEntry {
  token: string;
  user: UserInfo;
}

/** Throws the 403 when `actor` may not do `a` (the authorizer's check; impersonation asks it). */
export type AccessCheck = (actor: UserInfo, a: Attributes) => void;

export const ADMIN_USER = 'kubernetes-admin';

/**
 * Bearer-token authentication. The admin token belongs to `kubernetes-admin` in `system:masters`.
 * A token file has kube-apiserver's static token CSV format: `token,user,uid,"group1,group2"`.
 * Service-account tokens (JWTs this server signed, sa-tokens.ts) are checked after the static ones.
 * Impersonate-* headers are honoured when the authorizer allows the `impersonate` verb on each
 * user, service account, group and extra asked for (as kube-apiserver's impersonation filter).
 */
export class Authenticator {
  private readonly byToken = new Map<string, TokenEntry>();
  readonly adminToken: string;
  /** Decides impersonation; set by the server once its authorizer exists (unset: nobody may impersonate). */
  checkAccess: AccessCheck | null = null;
  /** Issues and checks service-account tokens (unset: none are accepted). */
  readonly serviceAccounts: ServiceAccountTokens | undefined;

  constructor(opts: { adminToken?: string; tokenFile?: string; tokens?: TokenEntry[]; serviceAccounts?: ServiceAccountTokens }) {
    this.serviceAccounts = opts.serviceAccounts;
    this.adminToken = opts.adminToken ?? randomBytes(24).toString('hex');
    this.add({ token: this.adminToken, user: { username: ADMIN_USER, groups: ['system:masters', 'system:authenticated'] } });
    if (opts.tokenFile) for (const e of parseTokenFile(readFileSync(opts.tokenFile, 'utf8'))) this.add(e);
    for (const e of opts.tokens ?? []) this.add(e);
  }

  add(e: TokenEntry): void {
    this.byToken.set(e.token, e);
  }

  /** The acting user of a request: the token's, or the impersonated one when allowed. */
  authenticate(headers: IncomingHttpHeaders): UserInfo {
    return this.impersonate(this.tokenUser(headers), headers);
  }

  /** The bearer token's user; 401 without a known token. */
  tokenUser(headers: IncomingHttpHeaders): UserInfo {
    const h = headers.authorization;
    if (!h || !h.startsWith('Bearer ')) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    const token = h.slice(7).trim();
    // The hot path: a static token is one Map lookup, nothing allocated.
    const entry = this.byToken.get(token);
    if (entry) return entry.user;
    const r = this.check(token);
    if ('error' in r) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    return r.user;
  }

  /**
   * A token's user (a TokenReview asks this too): a static token by a Map lookup first, then only
   * a string shaped like a JWT gets a signature check. `audiences` default to the API server's; a
   * static token is good for those only (kube's audience-agnostic wrapper).
   */
  check(token: string, audiences?: string[]): TokenCheck {
    const entry = this.byToken.get(token);
    const apiAudiences = this.serviceAccounts?.apiAudiences ?? [];
    if (entry) {
      if (!audiences?.length) return { user: entry.user, audiences: apiAudiences };
      const accepted = audiences.filter((a) => apiAudiences.includes(a));
      return accepted.length ? { user: entry.user, audiences: accepted } : { error: 'invalid bearer token, token audiences is invalid for the current authenticator' };
    }
    if (!this.serviceAccounts || !looksLikeJwt(token)) return { error: 'invalid bearer token' };
    return this.serviceAccounts.check(token, audiences?.length ? audiences : apiAudiences);
  }

  /** The identity the Impersonate-* headers ask for, when `tokenUser` may take it (403 otherwise); else `tokenUser`. */
  impersonate(tokenUser: UserInfo, headers: IncomingHttpHeaders): UserInfo {
    const asUser = headers['impersonate-user'];
    const asGroups = headers['impersonate-group'];
    const extraKeys = Object.keys(headers).filter((k) => k.startsWith('impersonate-extra-'));
    if (asUser === undefined) {
      if (asGroups !== undefined || extraKeys.length > 0)
        throw new StatusError(500, 'InternalError', 'requested impersonation of groups or extras without a user');
      return tokenUser;
    }
    const target = Array.isArray(asUser) ? asUser[0]! : asUser;
    const asked = asGroups === undefined ? [] : (Array.isArray(asGroups) ? asGroups : [asGroups]).flatMap((g) => g.split(',').map((s) => s.trim()));
    const extra: Record<string, string[]> = {};
    for (const k of extraKeys) {
      const v = headers[k];
      extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(','));
    }
    this.checkImpersonation(tokenUser, target, asked, extra);
    const groups = [...asked];
    const sa = serviceAccountOf(target);
    if (sa) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa.ns}`);
    if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
    return { username: target, groups, extra, impersonatedBy: tokenUser.username };
  }

  /** Each identity part asked for must be allowed: `impersonate` on users (or serviceaccounts), groups, userextras. */
  private checkImpersonation(actor: UserInfo, user: string, groups: string[], extra: Record<string, string[]>): void {
    const check = this.checkAccess ?? (() => {
      throw new StatusError(403, 'Forbidden', 'impersonation is not enabled on this server');
    });
    const ask = (group: string, resource: string, name: string, namespace = '', subresource = '') =>
      check(actor, { verb: 'impersonate', resource: { group, resource, subresource, namespace, name } });
    const sa = serviceAccountOf(user);
    if (sa) ask('', 'serviceaccounts', sa.name, sa.ns);
    else ask('', 'users', user);
    for (const g of groups) ask('', 'groups', g);
    for (const [k, vs] of Object.entries(extra)) for (const v of vs) ask('authentication.k8s.io', 'userextras', v, '', k);
  }
}

/** `system:serviceaccount:NS:NAME` -> its namespace and name. */
function serviceAccountOf(user: string): { ns: string; name: string } | null {
  const parts = user.split(':');
  return parts.length === 4 && user.startsWith('system:serviceaccount:') ? { ns: parts[2]!, name: parts[3]! } : null;
}

function parseTokenFile(text: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    // token,user,uid[,"g1,g2"]
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(line);
    if (!m) throw new Error(`token file: cannot parse line ${JSON.stringify(line)} (want token,user,uid,"group1,group2")`);
    const groups = m[4] ? m[4].split(',').map((g) => g.trim()).filter(Boolean) : [];
    out.push({ token: m[1]!, user: { username: m[2]!, ...(m[3] ? { uid: m[3] } : {}), groups: [...groups, 'system:authenticated'] } });
  }
  return out;
}
