import { describe, expect, it } from 'vitest';
import { RbacIndex, STORE_KEYS } from './rbac-index.ts';
import type { Attributes } from './rbac-rules.ts';
import { Store } from './store.ts';

const R = 'rbac.authorization.k8s.io';
const get = (resource: string, ns = '', name = ''): Attributes => ({ verb: 'get', resource: { group: '', resource, subresource: '', namespace: ns, name } });

function put(store: Store, key: string, obj: Record<string, any>) {
  store.put(key, { obj: { ...obj, metadata: { uid: `u-${obj.metadata.name}`, ...obj.metadata } } });
}

const podReader = { metadata: { name: 'pod-reader', namespace: 'dev' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
const viewNodes = { metadata: { name: 'view-nodes' }, rules: [{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get'] }] };

describe('RbacIndex', () => {
  it('grants a Role through a RoleBinding only in its namespace', () => {
    const store = new Store(100);
    const idx = new RbacIndex(store);
    put(store, STORE_KEYS.roles, podReader);
    put(store, STORE_KEYS.roleBindings, { metadata: { name: 'jane-reads', namespace: 'dev' }, roleRef: { apiGroup: R, kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'jane' }] });
    expect(idx.allows('jane', [], get('pods', 'dev'))).toBe('RBAC: allowed by RoleBinding "dev/jane-reads" of Role "pod-reader" to User "jane"');
    expect(idx.allows('jane', [], get('pods', 'prod'))).toBeNull();
    expect(idx.allows('jane', [], get('pods'))).toBeNull();
    expect(idx.allows('john', [], get('pods', 'dev'))).toBeNull();
  });

  it('lets a RoleBinding name a ClusterRole (its rules, in the binding namespace) and a ClusterRoleBinding grant everywhere', () => {
    const store = new Store(100);
    const idx = new RbacIndex(store);
    put(store, STORE_KEYS.clusterRoles, viewNodes);
    put(store, STORE_KEYS.roleBindings, { metadata: { name: 'b', namespace: 'dev' }, roleRef: { kind: 'ClusterRole', name: 'view-nodes' }, subjects: [{ kind: 'Group', name: 'devs' }] });
    expect(idx.allows('x', ['devs'], get('pods', 'dev'))).not.toBeNull();
    expect(idx.allows('x', ['devs'], get('pods', 'prod'))).toBeNull();
    expect(idx.allows('x', ['devs'], get('nodes'))).toBeNull();
    put(store, STORE_KEYS.clusterRoleBindings, { metadata: { name: 'ops' }, roleRef: { kind: 'ClusterRole', name: 'view-nodes' }, subjects: [{ kind: 'Group', name: 'ops' }] });
    expect(idx.allows('x', ['ops'], get('nodes'))).toBe('RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "view-nodes" to Group "ops"');
  });

  it('matches a ServiceAccount subject to its user name, defaulting its namespace to the binding', () => {
    const store = new Store(100);
    const idx = new RbacIndex(store);
    put(store, STORE_KEYS.roles, podReader);
    put(store, STORE_KEYS.roleBindings, { metadata: { name: 'sa', namespace: 'dev' }, roleRef: { kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'bot' }] });
    expect(idx.allows('system:serviceaccount:dev:bot', [], get('pods', 'dev'))).toBe('RBAC: allowed by RoleBinding "dev/sa" of Role "pod-reader" to ServiceAccount "bot/dev"');
    expect(idx.allows('system:serviceaccount:prod:bot', [], get('pods', 'dev'))).toBeNull();
  });

  it('follows updates and deletions of roles and bindings, and loads what the store held before it', () => {
    const store = new Store(100);
    put(store, STORE_KEYS.clusterRoles, viewNodes);
    put(store, STORE_KEYS.clusterRoleBindings, { metadata: { name: 'jane' }, roleRef: { kind: 'ClusterRole', name: 'view-nodes' }, subjects: [{ kind: 'User', name: 'jane' }] });
    const idx = new RbacIndex(store);
    expect(idx.allows('jane', [], get('nodes'))).not.toBeNull();
    put(store, STORE_KEYS.clusterRoles, { ...viewNodes, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    expect(idx.allows('jane', [], get('nodes'))).toBeNull();
    put(store, STORE_KEYS.clusterRoleBindings, { metadata: { name: 'jane' }, roleRef: { kind: 'ClusterRole', name: 'view-nodes' }, subjects: [{ kind: 'User', name: 'john' }] });
    expect(idx.allows('jane', [], get('pods', 'x'))).toBeNull();
    expect(idx.allows('john', [], get('pods', 'x'))).not.toBeNull();
    const e = store.get(STORE_KEYS.clusterRoleBindings, '', 'jane')!;
    store.remove(STORE_KEYS.clusterRoleBindings, e, JSON.parse(e.json));
    expect(idx.allows('john', [], get('pods', 'x'))).toBeNull();
  });
});
