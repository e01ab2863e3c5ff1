/**
 * The RBAC policy held in memory: Roles, ClusterRoles and their bindings, kept up to date from the
 * store's committed events, with bindings indexed by subject so that a decision reads only the
 * bindings of the asking user and its groups (never a scan of every binding).
 */
import type { Store, StoredEvent } from './store.ts';
import { ruleAllows, type Attributes, type PolicyRule } from './rbac-rules.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const STORE_KEYS = {
  roles: `${RBAC_GROUP}/roles`,
  clusterRoles: `${RBAC_GROUP}/clusterroles`,
  roleBindings: `${RBAC_GROUP}/rolebindings`,
  clusterRoleBindings: `${RBAC_GROUP}/clusterrolebindings`,
};

export interface ClusterRoleView {
  name: string;
  labels: Record<string, string>;
  rules: PolicyRule[];
  aggregationRule?: { clusterRoleSelectors?: Array<Record<string, any>> };
}

interface Binding {
  /** '' for a ClusterRoleBinding. */
  ns: string;
  name: string;
  roleKind: string;
  roleName: string;
  /** Index key -> the subject as a decision's reason names it (`Group "g"`). */
  subjects: Map<string, string>;
}

const SA_PREFIX = 'system:serviceaccount:';

/** A subject's index key (users and service accounts by user name, groups by group name) and how a reason names it. */
function subjectKey(s: Record<string, any>, bindingNs: string): [string, string] | null {
  if (s.kind === 'User') return ['u:' + s.name, `User ${JSON.stringify(s.name)}`];
  if (s.kind === 'Group') return ['g:' + s.name, `Group ${JSON.stringify(s.name)}`];
  if (s.kind === 'ServiceAccount') {
    // A RoleBinding may leave a service account's namespace out: its own namespace is meant.
    const ns = s.namespace || bindingNs;
    return ns ? [`u:${SA_PREFIX}${ns}:${s.name}`, `ServiceAccount ${JSON.stringify(`${s.name}/${ns}`)}`] : null;
  }
  return null;
}

export class RbacIndex {
  private readonly roles = new Map<string, PolicyRule[]>();
  readonly clusterRoles = new Map<string, ClusterRoleView>();
  private readonly bindings = new Map<string, Binding>();
  private readonly bySubject = new Map<string, Set<string>>();
  /** Called after a ClusterRole changed (the aggregation controller listens). */
  onClusterRoleChange: (() => void) | null = null;

  private readonly store: Store;

  /** Loads what the store holds now, then follows its events. */
  constructor(store: Store) {
    this.store = store;
    this.reload();
    store.onEvent((ev) => this.onEvent(ev));
  }

  /**
   * Reads the store's policy objects again (idempotent): writes made before their events are
   * released (a durable store releases them after fsync) count at once, as the bootstrap's do.
   */
  reload(): void {
    for (const key of Object.values(STORE_KEYS)) {
      for (const e of this.store.resource(key).byKey.values()) this.apply(key, e.ns, e.name, JSON.parse(e.json));
    }
  }

  private onEvent(ev: StoredEvent): void {
    if (!ev.storeKey.startsWith(RBAC_GROUP)) return;
    this.apply(ev.storeKey, ev.ns, ev.name, ev.type === 'DELETED' ? null : JSON.parse(ev.json));
    if (ev.storeKey === STORE_KEYS.clusterRoles) this.onClusterRoleChange?.();
  }

  private apply(storeKey: string, ns: string, name: string, obj: Record<string, any> | null): void {
    switch (storeKey) {
      case STORE_KEYS.roles:
        if (obj) this.roles.set(`${ns}/${name}`, obj.rules ?? []);
        else this.roles.delete(`${ns}/${name}`);
        break;
      case STORE_KEYS.clusterRoles:
        if (obj) this.clusterRoles.set(name, { name, labels: obj.metadata?.labels ?? {}, rules: obj.rules ?? [], aggregationRule: obj.aggregationRule });
        else this.clusterRoles.delete(name);
        break;
      case STORE_KEYS.roleBindings:
      case STORE_KEYS.clusterRoleBindings:
        this.setBinding(`${storeKey}|${ns}/${name}`, ns, name, obj);
        break;
    }
  }

  private setBinding(id: string, ns: string, name: string, obj: Record<string, any> | null): void {
    const old = this.bindings.get(id);
    for (const k of old?.subjects.keys() ?? []) {
      const s = this.bySubject.get(k);
      s?.delete(id);
      if (s?.size === 0) this.bySubject.delete(k);
    }
    this.bindings.delete(id);
    if (!obj) return;
    const subjects = new Map<string, string>();
    for (const s of obj.subjects ?? []) {
      const k = subjectKey(s, ns);
      if (k && !subjects.has(k[0])) subjects.set(k[0], k[1]);
    }
    this.bindings.set(id, { ns, name, roleKind: obj.roleRef?.kind ?? '', roleName: obj.roleRef?.name ?? '', subjects });
    for (const k of subjects.keys()) {
      let s = this.bySubject.get(k);
      if (!s) this.bySubject.set(k, (s = new Set()));
      s.add(id);
    }
  }

  /** The rules a binding grants (a RoleBinding may name a ClusterRole: its rules, in that namespace). */
  private rulesOf(b: Binding): PolicyRule[] {
    if (b.roleKind === 'Role') return b.ns ? (this.roles.get(`${b.ns}/${b.roleName}`) ?? []) : [];
    if (b.roleKind === 'ClusterRole') return this.clusterRoles.get(b.roleName)?.rules ?? [];
    return [];
  }

  /** A Role's rules; null when there is no such Role. */
  role(ns: string, name: string): PolicyRule[] | null {
    return this.roles.get(`${ns}/${name}`) ?? null;
  }

  /** Every rule granted to this user or its groups in `namespace` ('' : cluster-wide bindings only), as SelfSubjectRulesReview lists them. */
  rulesFor(username: string, groups: readonly string[], namespace: string): PolicyRule[] {
    const out: PolicyRule[] = [];
    const seen = new Set<string>();
    for (const key of ['u:' + username, ...groups.map((g) => 'g:' + g)]) {
      for (const id of this.bySubject.get(key) ?? []) {
        const b = this.bindings.get(id)!;
        if (seen.has(id) || (b.ns && b.ns !== namespace)) continue;
        seen.add(id);
        out.push(...this.rulesOf(b));
      }
    }
    return out;
  }

  /**
   * The binding of this user or one of its groups that grants the request, as the real
   * authorizer's reason names it (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to
   * Group "g"`); null when none does.
   */
  allows(username: string, groups: readonly string[], a: Attributes): string | null {
    const ns = a.resource?.namespace ?? '';
    const visit = (key: string): string | null => {
      const ids = this.bySubject.get(key);
      if (!ids) return null;
      for (const id of ids) {
        const b = this.bindings.get(id)!;
        // A RoleBinding grants only within its namespace (never cluster-scoped or non-resource requests).
        if (b.ns && b.ns !== ns) continue;
        if (!this.rulesOf(b).some((r) => ruleAllows(r, a))) continue;
        const binding = b.ns ? `RoleBinding ${JSON.stringify(`${b.ns}/${b.name}`)}` : `ClusterRoleBinding ${JSON.stringify(b.name)}`;
        return `RBAC: allowed by ${binding} of ${b.roleKind} ${JSON.stringify(b.roleName)} to ${b.subjects.get(key)}`;
      }
      return null;
    };
    const byUser = visit('u:' + username);
    if (byUser) return byUser;
    for (const g of groups) {
      const byGroup = visit('g:' + g);
      if (byGroup) return byGroup;
    }
    return null;
  }
}
