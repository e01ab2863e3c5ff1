/**
 * RBAC decision benchmark (prints figures; not a test): the authorizer as the API server builds
 * it, with the default policy plus 2,000 RoleBindings of other users, deciding a VMI status patch
 * as KubeVirt's controller (allowed, as the fleet's stage writes are) and as a user with no binding
 * (denied). Shows that a decision reads the asker's bindings only, whatever the number of others.
 * Usage: node_modules/.bin/node bench/rbac/run.ts [--decisions N] [--bindings N]
 */
import { parseArgs } from 'node:util';
import { Authorizer } from '../../services/apiserver/src/authz.ts';
import { ObjectService, SYSTEM_USER } from '../../services/apiserver/src/objects.ts';
import { ensureBootstrapPolicy } from '../../services/apiserver/src/rbac-bootstrap.ts';
import { RbacIndex } from '../../services/apiserver/src/rbac-index.ts';
import { ResourceRegistry } from '../../services/apiserver/src/resources.ts';
import { Store } from '../../services/apiserver/src/store.ts';

const { values } = parseArgs({ options: { decisions: { type: 'string', default: '1000000' }, bindings: { type: 'string', default: '2000' } } });
const decisions = Number(values.decisions);

const store = new Store(1000);
const registry = new ResourceRegistry();
const objects = new ObjectService(store, (k) => registry.all().find((rt) => rt.storeKey === k && rt.version === rt.storageVersion && !rt.convert));
const index = new RbacIndex(store);
ensureBootstrapPolicy(objects, registry);
const R = 'rbac.authorization.k8s.io';
objects.create(registry.get('', 'v1', 'namespaces')!, '', { metadata: { name: 'dev' } }, SYSTEM_USER);
objects.create(registry.get(R, 'v1', 'roles')!, 'dev', { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }, SYSTEM_USER);
const rb = registry.get(R, 'v1', 'rolebindings')!;
for (let i = 0; i < Number(values.bindings); i++)
  objects.create(rb, 'dev', { metadata: { name: `b${i}` }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: `user-${i}` }] }, SYSTEM_USER);

const authz = new Authorizer('RBAC', index);
const patchStatus = { verb: 'patch', resource: { group: 'kubevirt.io', resource: 'virtualmachineinstances', subresource: 'status', namespace: 'default', name: 'vmi-1' } };
const cases: Array<[string, { username: string; groups: string[] }]> = [
  ['kubevirt-controller (allowed)', { username: 'system:serviceaccount:kubevirt:kubevirt-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kubevirt', 'system:authenticated'] }],
  ['user with no binding (denied)', { username: 'nobody', groups: ['system:authenticated'] }],
];
console.log(`policy: default objects + ${values.bindings} RoleBindings of other users; ${decisions} decisions each`);
for (const [label, user] of cases) {
  let allowed = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) if (authz.decide(user, patchStatus).allowed) allowed++;
  const ns = Number(process.hrtime.bigint() - t0) / decisions;
  console.log(`${label}: ${ns.toFixed(0)} ns per decision (${allowed} allowed)`);
}
