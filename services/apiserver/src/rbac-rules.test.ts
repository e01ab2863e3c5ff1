import { describe, expect, it } from 'vitest';
import { forbiddenReason, ruleAllows, type Attributes } from './rbac-rules.ts';

const res = (verb: string, resource: string, o: { group?: string; sub?: string; ns?: string; name?: string } = {}): Attributes => ({
  verb,
  resource: { group: o.group ?? '', resource, subresource: o.sub ?? '', namespace: o.ns ?? '', name: o.name ?? '' },
});

describe('RBAC rule matching', () => {
  it('matches group, resource and verb, with * for any of them', () => {
    const rule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
    expect(ruleAllows(rule, res('get', 'pods'))).toBe(true);
    expect(ruleAllows(rule, res('delete', 'pods'))).toBe(false);
    expect(ruleAllows(rule, res('get', 'pods', { group: 'apps' }))).toBe(false);
    expect(ruleAllows(rule, res('get', 'secrets'))).toBe(false);
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, res('escalate', 'clusterroles', { group: 'rbac.authorization.k8s.io' }))).toBe(true);
  });

  it('treats a subresource as its own resource, matched exactly or by */sub', () => {
    expect(ruleAllows({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, res('get', 'pods', { sub: 'log' }))).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, res('get', 'pods', { sub: 'log' }))).toBe(true);
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*/status'], verbs: ['patch'] }, res('patch', 'nodes', { sub: 'status' }))).toBe(true);
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*/status'], verbs: ['patch'] }, res('patch', 'nodes'))).toBe(false);
    // kube 1.26 has no `pods/*`: it names nothing.
    expect(ruleAllows({ apiGroups: [''], resources: ['pods/*'], verbs: ['get'] }, res('get', 'pods', { sub: 'log' }))).toBe(false);
  });

  it('limits a rule with resourceNames to those names (a list or create names none)', () => {
    const rule = { apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'], verbs: ['get', 'list', 'create'] };
    expect(ruleAllows(rule, res('get', 'configmaps', { name: 'app-config' }))).toBe(true);
    expect(ruleAllows(rule, res('get', 'configmaps', { name: 'other' }))).toBe(false);
    expect(ruleAllows(rule, res('list', 'configmaps'))).toBe(false);
    expect(ruleAllows(rule, res('create', 'configmaps'))).toBe(false);
  });

  it('matches nonResourceURLs exactly or by a trailing * prefix, and never a resource request', () => {
    const rule = { nonResourceURLs: ['/healthz', '/apis/*'], verbs: ['get'] };
    expect(ruleAllows(rule, { verb: 'get', path: '/healthz' })).toBe(true);
    expect(ruleAllows(rule, { verb: 'get', path: '/healthz/etcd' })).toBe(false);
    expect(ruleAllows(rule, { verb: 'get', path: '/apis/apps/v1' })).toBe(true);
    expect(ruleAllows(rule, { verb: 'post', path: '/healthz' })).toBe(false);
    expect(ruleAllows(rule, res('get', 'pods'))).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['*'], verbs: ['get'] }, { verb: 'get', path: '/healthz' })).toBe(false);
  });

  it("words a denial as kube-apiserver's forbidden message", () => {
    expect(forbiddenReason('jane', res('get', 'pods', { sub: 'log', ns: 'dev', name: 'p' }))).toBe('User "jane" cannot get resource "pods/log" in API group "" in the namespace "dev"');
    expect(forbiddenReason('jane', res('list', 'nodes'))).toBe('User "jane" cannot list resource "nodes" in API group "" at the cluster scope');
    expect(forbiddenReason('jane', { verb: 'get', path: '/metrics' })).toBe('User "jane" cannot get path "/metrics"');
  });
});
