/**
 * Service-account issuer discovery, as kube-apiserver serves it: the OpenID configuration and the
 * JWKS with the token signing key, so a relying party (a workload identity federation, a webhook
 * that checks tokens offline) can verify this server's service-account tokens. Served to
 * authenticated callers; the default policy grants it to all service accounts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './http-io.ts';
import type { ServiceAccountTokens } from './sa-tokens.ts';

export const OPENID_CONFIGURATION = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/** Answers the two discovery paths; false for any other path. */
export function serveOidcDiscovery(tokens: ServiceAccountTokens | undefined, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (!tokens || (path !== OPENID_CONFIGURATION && path !== JWKS_PATH)) return false;
  if (path === JWKS_PATH) {
    send(res, 200, JSON.stringify({ keys: [tokens.jwk] }), 'application/jwk-set+json');
    return true;
  }
  // The JWKS is where the caller reached us: an embedded server has no separate external address.
  const jwksUri = `https://${req.headers.host ?? 'localhost'}${JWKS_PATH}`;
  send(
    res,
    200,
    JSON.stringify({
      issuer: tokens.issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    }),
  );
  return true;
}
