import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { StatusError } from './status.ts';

export interface UserInfo {
  username: string;
  groups: string[];
  extra?: Record<string, string[]>;
  /** The token's user, when this identity is impersonated. */
  impersonatedBy?: string;
}

export interface TokenEntry {
  token: string;
  user: UserInfo;
  /** May this identity act as another (Impersonate-* headers)? */
  canImpersonate: boolean;
}

export const ADMIN_USER = 'kubernetes-admin';

/**
 * Bearer-token authentication. The admin token belongs to `kubernetes-admin` in `system:masters`
 * (may impersonate). A token file has kube-apiserver's static token CSV format:
 * `token,user,uid,"group1,group2"`; users in `system:masters` may impersonate.
 */
export class Authenticator {
  private readonly byToken = new Map<string, TokenEntry>();
  readonly adminToken: string;

  constructor(opts: { adminToken?: string; tokenFile?: string; tokens?: TokenEntry[] }) {
    this.adminToken = opts.adminToken ?? randomBytes(24).toString('hex');
    this.add({ token: this.adminToken, user: { username: ADMIN_USER, groups: ['system:masters', 'system:authenticated'] }, canImpersonate: true });
    if (opts.tokenFile) for (const e of parseTokenFile(readFileSync(opts.tokenFile, 'utf8'))) this.add(e);
    for (const e of opts.tokens ?? []) this.add(e);
  }

  add(e: TokenEntry): void {
    this.byToken.set(e.token, e);
  }

  /** The acting user of a request: the token's, or the impersonated one when allowed. */
  authenticate(headers: IncomingHttpHeaders): UserInfo {
    const h = headers.authorization;
    if (!h || !h.startsWith('Bearer ')) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    const entry = this.byToken.get(h.slice(7).trim());
    if (!entry) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    const asUser = headers['impersonate-user'];
    const asGroups = headers['impersonate-group'];
    const extraKeys = Object.keys(headers).filter((k) => k.startsWith('impersonate-extra-'));
    if (asUser === undefined) {
      if (asGroups !== undefined || extraKeys.length > 0)
        throw new StatusError(500, 'InternalError', 'requested impersonation of groups or extras without a user');
      return entry.user;
    }
    const target = Array.isArray(asUser) ? asUser[0] : asUser;
    if (!entry.canImpersonate)
      throw new StatusError(403, 'Forbidden', `users "${target}" is forbidden: User "${entry.user.username}" cannot impersonate resource "users" in API group "" at the cluster scope`);
    const groups = asGroups === undefined ? [] : (Array.isArray(asGroups) ? asGroups : [asGroups]).flatMap((g) => g.split(',').map((s) => s.trim()));
    if (target.startsWith('system:serviceaccount:')) {
      const ns = target.split(':')[2];
      groups.push('system:serviceaccounts', `system:serviceaccounts:${ns}`);
    }
    if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
    const extra: Record<string, string[]> = {};
    for (const k of extraKeys) {
      const v = headers[k];
      extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(','));
    }
    return { username: target, groups, extra, impersonatedBy: entry.user.username };
  }
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
    out.push({ token: m[1], user: { username: m[2], groups: [...groups, 'system:authenticated'] }, canImpersonate: groups.includes('system:masters') });
  }
  return out;
}
