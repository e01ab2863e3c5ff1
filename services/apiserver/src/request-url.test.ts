import { describe, expect, it } from 'vitest';
import { parseRequestUrl } from './request-url.ts';

/** What the handlers read, as WHATWG URL gives it: the behaviour the fast path must keep. */
function viaUrl(target: string) {
  const u = new URL(target, 'http://x');
  return { pathname: u.pathname, query: [...u.searchParams] };
}

describe('parseRequestUrl', () => {
  const targets = [
    '/api/v1/namespaces/kube-node-lease/leases/virtsim-node-00001',
    '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances?watch=true&resourceVersion=12&allowWatchBookmarks=true',
    '/api/v1/pods?labelSelector=kubevirt.io%2Fcreated-by%3Dabc&limit=500',
    '/api/v1/pods?fieldSelector=spec.nodeName=node-1,status.phase!=Failed',
    '/api/v1/namespaces/a/configmaps/x?dryRun=All&fieldManager=kubectl-client-side-apply&q=a+b',
    "/api/v1/namespaces/a/configmaps?labelSelector=app+in+('x','y')&x=<b>&y=\"z\"",
    '/api/v1/namespaces/a%2Fb/pods',
    '/api/v1/namespaces/../pods',
    '/api/v1/namespaces/./x/pods',
    '/api/v1/namespaces/x/pods/.hidden',
    '/api//v1//pods/',
    '/api/v1/pods?a=1#frag',
    '/api/v1/pods?a=caf\u00e9',
    '/api/v1/na mes',
    '/api/v1/pods?a b=c d',
    '/api\\v1\\pods',
    '/api/v1/pods?',
    '/api/v1/pods?&&a=&=b',
    '/api/v1/pods?a=%zz&b=%41',
    'http://example.com:8080/api/v1/nodes?watch=1',
    '/',
    '//host/api/v1/pods',
    '/metrics',
  ];
  for (const t of targets)
    it(`reads ${JSON.stringify(t)} as URL does`, () => {
      const got = parseRequestUrl(t);
      expect({ pathname: got.pathname, query: [...got.searchParams] }).toEqual(viaUrl(t));
    });

  it('takes a plain target without URL (the path every client sends) and keeps the query writable', () => {
    const got = parseRequestUrl('/api/v1/watch/pods?limit=1');
    expect(got).not.toBeInstanceOf(URL);
    got.searchParams.set('watch', 'true');
    expect(got.searchParams.toString()).toBe('limit=1&watch=true');
  });

  it('refuses what URL refuses', () => {
    expect(() => parseRequestUrl('//')).toThrow(TypeError);
  });
});
