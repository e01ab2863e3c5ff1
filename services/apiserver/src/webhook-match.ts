/**
 * Which admission webhooks a request must be sent to, as kube-apiserver 1.26 decides it
 * (k8s.io/apiserver/pkg/admission/plugin/webhook: predicates/rules, namespace and object
 * matchers). Pure functions of the request's attributes and the webhook's configuration.
 *
 * matchPolicy Equivalent (the default) also matches the other served versions of the same group
 * and resource whose objects differ only in apiVersion (custom resources, which are served with
 * `conversion: None`, and the built-ins served in two versions); resources converted between
 * groups (events) are matched exactly.
 */
import { LabelSelector, type LabelSelectorObject } from '@virtsim/apimachinery';

type Obj = Record<string, any>;

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** admission.Attributes: what a rule is matched against. */
export interface AdmissionAttributes {
  operation: Operation;
  group: string;
  version: string;
  /** The resource (plural), e.g. `pods`. */
  resource: string;
  /** '' when none, e.g. `status`. */
  subresource: string;
  kind: string;
  /** The kind's group and version when they are not the resource's (serviceaccounts/token: authentication.k8s.io/v1 TokenRequest). */
  kindGroupVersion?: { group: string; version: string };
  /** For a namespace object, its own name (as kube-apiserver sets it); '' for other cluster-scoped objects. */
  namespace: string;
  name: string;
  object: Obj | null;
  oldObject: Obj | null;
  dryRun: boolean;
  /** The other served versions of this group/resource an Equivalent webhook may be called in. */
  equivalentVersions?: readonly string[];
}

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

/** One webhook of a configuration, as stored (admissionregistration.k8s.io/v1). */
export interface WebhookSpec {
  name: string;
  clientConfig: { url?: string; caBundle?: string; service?: { namespace: string; name: string; path?: string; port?: number } };
  rules?: RuleWithOperations[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelectorObject | null;
  objectSelector?: LabelSelectorObject | null;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));

/** `pods/status` → [pods, status]; `pods` → [pods, '']. */
function splitResource(r: string): [string, string] {
  const i = r.indexOf('/');
  return i < 0 ? [r, ''] : [r.slice(0, i), r.slice(i + 1)];
}

function resourceMatches(resources: string[] | undefined, resource: string, sub: string): boolean {
  for (const r of resources ?? []) {
    const [res, s] = splitResource(r);
    if ((res === '*' || res === resource) && (s === '*' || s === sub)) return true;
  }
  return false;
}

/** rules.Matcher.scope: a namespace object counts as cluster-scoped though its attributes carry a namespace. */
function scopeMatches(scope: string | undefined, a: AdmissionAttributes): boolean {
  if (!scope || scope === '*') return true;
  const isNamespace = a.group === '' && a.resource === 'namespaces';
  if (scope === 'Namespaced') return !isNamespace && a.namespace !== '';
  if (scope === 'Cluster') return isNamespace || a.namespace === '';
  return false;
}

/**
 * Whether the rule names this operation on this resource at all, whatever the request's group,
 * version and scope: with matchPolicy Equivalent a rule also matches the same resource in another
 * group or version, so only the resource and the operation can rule a request out up front.
 */
export function ruleNames(rule: RuleWithOperations, operation: Operation, resource: string, subresource: string): boolean {
  return has(rule.operations, operation) && resourceMatches(rule.resources, resource, subresource);
}

export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes): boolean {
  return scopeMatches(rule.scope, a) && has(rule.apiGroups, a.group) && has(rule.apiVersions, a.version) && ruleNames(rule, a.operation, a.resource, a.subresource);
}

/**
 * Requests never sent to webhooks (rules.IsExemptAdmissionConfigurationResource): the webhook and
 * admission policy configurations themselves, so a broken webhook cannot lock its own fix out.
 */
export function isExempt(a: AdmissionAttributes): boolean {
  return (
    a.group === 'admissionregistration.k8s.io' &&
    ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'].includes(a.resource)
  );
}

/** A v1 webhook's missing selector is `{}`: everything. Bad selectors were refused when stored. */
function selectorOf(sel: LabelSelectorObject | null | undefined): LabelSelector | null {
  return sel ? LabelSelector.fromObject(sel) : null;
}

/**
 * namespace.Matcher.MatchNamespaceSelector: a cluster-scoped object other than a namespace is
 * always matched; a namespace request is matched by the namespace's own labels (the new object's
 * on CREATE and UPDATE); else by the labels of the namespace the object lives in.
 */
export function namespaceSelectorMatches(w: WebhookSpec, a: AdmissionAttributes, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  const isNamespace = a.group === '' && a.resource === 'namespaces';
  if (a.namespace === '' && !isNamespace) return true;
  const sel = selectorOf(w.namespaceSelector);
  if (!sel) return true;
  let labels: Record<string, string> | undefined;
  if (isNamespace && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) labels = a.object?.metadata?.labels;
  else labels = namespaceLabels(isNamespace ? a.name : a.namespace);
  return sel.matches(labels ?? {});
}

/** object.Matcher.MatchObjectSelector: the new or the old object's labels. */
export function objectSelectorMatches(w: WebhookSpec, a: AdmissionAttributes): boolean {
  const sel = selectorOf(w.objectSelector);
  if (!sel) return true;
  return (a.object !== null && sel.matches(a.object.metadata?.labels ?? {})) || (a.oldObject !== null && sel.matches(a.oldObject.metadata?.labels ?? {}));
}

/**
 * generic.Webhook.ShouldCallHook, without the exemption (checked once per request): the version
 * the webhook is to be called in (the request's, or under matchPolicy Equivalent the first
 * equivalent version a rule names, rules in order), or undefined when it is not called.
 */
export function webhookInvocation(w: WebhookSpec, a: AdmissionAttributes, namespaceLabels: (ns: string) => Record<string, string> | undefined): string | undefined {
  const rules = w.rules ?? [];
  let version: string | undefined = rules.some((r) => ruleMatches(r, a)) ? a.version : undefined;
  if (version === undefined && w.matchPolicy !== 'Exact' && a.equivalentVersions?.length) {
    for (const r of rules) {
      version = a.equivalentVersions.find((v) => v !== a.version && ruleMatches(r, { ...a, version: v }));
      if (version !== undefined) break;
    }
  }
  if (version === undefined) return undefined;
  return namespaceSelectorMatches(w, a, namespaceLabels) && objectSelectorMatches(w, a) ? version : undefined;
}

export function webhookMatches(w: WebhookSpec, a: AdmissionAttributes, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  return webhookInvocation(w, a, namespaceLabels) !== undefined;
}
