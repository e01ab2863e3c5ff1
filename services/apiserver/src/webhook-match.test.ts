import { describe, expect, it } from 'vitest';
import { isExempt, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, webhookInvocation, webhookMatches, type AdmissionAttributes, type WebhookSpec } from './webhook-match.ts';

function attrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return { operation: 'CREATE', group: '', version: 'v1', resource: 'pods', subresource: '', kind: 'Pod', namespace: 'ns1', name: 'p', object: { metadata: { labels: { app: 'web' } } }, oldObject: null, dryRun: false, ...over };
}

const rule = { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] };
const hook = (over: Partial<WebhookSpec> = {}): WebhookSpec => ({ name: 'h.example.com', clientConfig: { url: 'https://127.0.0.1/' }, rules: [rule], ...over });
const noNs = () => undefined;

describe('webhook rules', () => {
  it('matches operation, group, version and resource, each with *', () => {
    expect(ruleMatches(rule, attrs())).toBe(true);
    expect(ruleMatches(rule, attrs({ operation: 'UPDATE' }))).toBe(false);
    expect(ruleMatches({ ...rule, operations: ['*'] }, attrs({ operation: 'DELETE' }))).toBe(true);
    expect(ruleMatches({ ...rule, apiGroups: ['apps'] }, attrs())).toBe(false);
    expect(ruleMatches({ ...rule, apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }, attrs({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }))).toBe(true);
    expect(ruleMatches({ ...rule, operations: undefined }, attrs())).toBe(false);
  });

  it('matches subresources only when named: pods/status, */status, pods/*, */*', () => {
    const status = attrs({ operation: 'UPDATE', subresource: 'status' });
    expect(ruleMatches({ ...rule, operations: ['UPDATE'] }, status)).toBe(false);
    for (const r of ['pods/status', '*/status', 'pods/*', '*/*']) expect(ruleMatches({ ...rule, operations: ['UPDATE'], resources: [r] }, status)).toBe(true);
    expect(ruleMatches({ ...rule, resources: ['*'] }, attrs({ subresource: 'binding' }))).toBe(false);
    expect(ruleMatches({ ...rule, resources: ['pods/status'] }, attrs())).toBe(false);
  });

  it('scopes: Namespaced excludes cluster-scoped objects and namespaces; Cluster includes namespaces', () => {
    const nsObj = attrs({ resource: 'namespaces', kind: 'Namespace', namespace: 'ns1', name: 'ns1' });
    const node = attrs({ resource: 'nodes', kind: 'Node', namespace: '' });
    const any = { ...rule, resources: ['*'] };
    expect(ruleMatches({ ...any, scope: 'Namespaced' }, attrs())).toBe(true);
    expect(ruleMatches({ ...any, scope: 'Namespaced' }, nsObj)).toBe(false);
    expect(ruleMatches({ ...any, scope: 'Namespaced' }, node)).toBe(false);
    expect(ruleMatches({ ...any, scope: 'Cluster' }, nsObj)).toBe(true);
    expect(ruleMatches({ ...any, scope: 'Cluster' }, node)).toBe(true);
    expect(ruleMatches({ ...any, scope: 'Cluster' }, attrs())).toBe(false);
    expect(ruleMatches({ ...any, scope: '*' }, node)).toBe(true);
  });

  it('exempts the webhook configurations themselves', () => {
    expect(isExempt(attrs({ group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', namespace: '' }))).toBe(true);
    expect(isExempt(attrs())).toBe(false);
  });
});

describe('webhook selectors', () => {
  const labels = (ns: string): Record<string, string> | undefined => (ns === 'ns1' ? { env: 'prod' } : ns === 'ns2' ? {} : undefined);

  it('namespaceSelector: by the namespace labels; cluster-scoped objects always match', () => {
    const w = hook({ namespaceSelector: { matchLabels: { env: 'prod' } } });
    expect(namespaceSelectorMatches(w, attrs(), labels)).toBe(true);
    expect(namespaceSelectorMatches(w, attrs({ namespace: 'ns2' }), labels)).toBe(false);
    expect(namespaceSelectorMatches(w, attrs({ resource: 'nodes', namespace: '' }), labels)).toBe(true);
    expect(namespaceSelectorMatches(hook({ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] } }), attrs({ namespace: 'ns2' }), labels)).toBe(true);
  });

  it('namespaceSelector on a namespace: its own new labels on CREATE and UPDATE, the stored ones on DELETE', () => {
    const w = hook({ namespaceSelector: { matchLabels: { env: 'prod' } } });
    const create = attrs({ resource: 'namespaces', namespace: 'ns2', name: 'ns2', object: { metadata: { labels: { env: 'prod' } } } });
    expect(namespaceSelectorMatches(w, create, labels)).toBe(true);
    expect(namespaceSelectorMatches(w, { ...create, operation: 'DELETE', object: null }, labels)).toBe(false);
    expect(namespaceSelectorMatches(w, { ...create, name: 'ns1', namespace: 'ns1', operation: 'DELETE', object: null }, labels)).toBe(true);
  });

  it('objectSelector: the new or the old object labels', () => {
    const w = hook({ objectSelector: { matchLabels: { app: 'db' } } });
    expect(objectSelectorMatches(w, attrs())).toBe(false);
    expect(objectSelectorMatches(w, attrs({ operation: 'UPDATE', oldObject: { metadata: { labels: { app: 'db' } } } }))).toBe(true);
    expect(objectSelectorMatches(w, attrs({ operation: 'DELETE', object: null, oldObject: { metadata: { labels: { app: 'db' } } } }))).toBe(true);
    expect(objectSelectorMatches(hook({ objectSelector: {} }), attrs())).toBe(true);
  });

  it('a webhook is called only when a rule and both selectors match', () => {
    expect(webhookMatches(hook(), attrs(), noNs)).toBe(true);
    expect(webhookMatches(hook({ rules: [] }), attrs(), noNs)).toBe(false);
    expect(webhookMatches(hook({ objectSelector: { matchLabels: { app: 'x' } } }), attrs(), noNs)).toBe(false);
  });
});

describe('matchPolicy', () => {
  const vmi = attrs({ group: 'kubevirt.io', version: 'v1alpha3', resource: 'virtualmachineinstances', kind: 'VirtualMachineInstance', equivalentVersions: ['v1'] });
  const v1Only = { operations: ['CREATE'], apiGroups: ['kubevirt.io'], apiVersions: ['v1'], resources: ['virtualmachineinstances'] };

  it('Equivalent (the default) calls a webhook in an equivalent version a rule names', () => {
    expect(webhookInvocation(hook({ rules: [v1Only] }), vmi, noNs)).toBe('v1');
    expect(webhookInvocation(hook({ rules: [v1Only], matchPolicy: 'Equivalent' }), vmi, noNs)).toBe('v1');
    expect(webhookInvocation(hook({ rules: [{ ...v1Only, apiVersions: ['*'] }] }), vmi, noNs)).toBe('v1alpha3');
  });

  it('Exact calls only for the version asked for', () => {
    expect(webhookInvocation(hook({ rules: [v1Only], matchPolicy: 'Exact' }), vmi, noNs)).toBeUndefined();
    expect(webhookInvocation(hook({ rules: [v1Only] }), { ...vmi, equivalentVersions: [] }, noNs)).toBeUndefined();
  });
});
