/**
 * Per-kind behaviour of the built-in kinds: create-time defaults, the minimal validation kubectl
 * users meet, and which fields a field selector may use (indexed on every write).
 */
import { fieldErrors, validateDnsLabel, validatePathSegmentName, type FieldError, type NameValidator } from '@virtsim/apimachinery';
import { defaultPodSpec, WORKLOAD_BEHAVIOUR } from './builtin-workloads.ts';

type Obj = Record<string, any>;

export interface KindBehaviour {
  /** Fields (besides metadata.name/namespace) a field selector may name, and how to read them. */
  fields?: Record<string, (o: Obj) => string | undefined>;
  validateName?: NameValidator;
  /** Defaults set on every write (kube defaults each object it decodes), before admission and validation. */
  defaults?(o: Obj): void;
  /** Defaults on create; `status` reset as the real strategy does. */
  prepareForCreate?(o: Obj): void;
  validate?(o: Obj): FieldError[];
  /**
   * What kube-apiserver's typed encoding does on every write: a metav1.Time field that is a value,
   * not a pointer, is written as `null` when unset (pod and node conditions always carry their
   * time fields, `"lastProbeTime": null` included), and every metav1.Time is written in whole
   * seconds (RFC 3339 in UTC: `...:56.94Z` is stored and served as `...:56Z`). Mutates `o`.
   */
  encodeAsTyped?(o: Obj): void;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A metav1.Time as the typed encoding writes it: `t.UTC().Format(time.RFC3339)`, whole seconds
 * (the fraction is dropped, not rounded; the protobuf storage keeps no nanoseconds either). A
 * client that reads a fraction back would write it in seconds, so JSON patch `test` operations on
 * such fields (virt-controller's pod conditions patch) would never match. Other values are kept.
 */
export function typedTime(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = RFC3339.exec(v);
  if (!m || (m[2] === undefined && m[3] === 'Z')) return v;
  const ms = Date.parse(`${m[1]!.toUpperCase()}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return v;
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** In every object of `list` (when it is a list): each of `fields` absent is set to null, a time is written in seconds. */
function nullTimes(list: unknown, fields: string[]): void {
  if (!Array.isArray(list)) return;
  for (const el of list) {
    if (!el || typeof el !== 'object' || Array.isArray(el)) continue;
    for (const f of fields) (el as Obj)[f] = (el as Obj)[f] === undefined ? null : typedTime((el as Obj)[f]);
  }
}

/** Optional (pointer) metav1.Time fields of `o`: written in seconds when present. */
function secondsTimes(o: unknown, fields: string[]): void {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return;
  for (const f of fields) if ((o as Obj)[f] !== undefined) (o as Obj)[f] = typedTime((o as Obj)[f]);
}

/** A container status's state times (running.startedAt, terminated.startedAt/finishedAt) as the typed encoding writes them. */
function nullStateTimes(statuses: unknown): void {
  if (!Array.isArray(statuses)) return;
  for (const cs of statuses) {
    for (const state of [cs?.state, cs?.lastState]) {
      if (!state || typeof state !== 'object') continue;
      nullTimes([state.running], ['startedAt']);
      nullTimes([state.terminated], ['startedAt', 'finishedAt']);
    }
  }
}

function qosClass(pod: Obj): string {
  const cs: Obj[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export const KIND_BEHAVIOUR: Record<string, KindBehaviour> = {
  '/pods': {
    fields: {
      'spec.nodeName': (o) => o.spec?.nodeName,
      'status.phase': (o) => o.status?.phase,
      'spec.schedulerName': (o) => o.spec?.schedulerName,
      'spec.restartPolicy': (o) => o.spec?.restartPolicy,
      'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
      'status.podIP': (o) => o.status?.podIP,
      'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
    },
    prepareForCreate(o) {
      const spec = (o.spec ??= {});
      defaultPodSpec(spec);
      // Admission (ServiceAccount, Priority) adds these to pods, not to templates.
      spec.serviceAccountName ??= 'default';
      spec.priority ??= 0;
      spec.preemptionPolicy ??= 'PreemptLowerPriority';
      o.status = { phase: 'Pending', qosClass: qosClass(o) };
    },
    encodeAsTyped(o) {
      nullTimes(o.status?.conditions, ['lastProbeTime', 'lastTransitionTime']);
      secondsTimes(o.status, ['startTime']);
      nullStateTimes(o.status?.containerStatuses);
      nullStateTimes(o.status?.initContainerStatuses);
      nullStateTimes(o.status?.ephemeralContainerStatuses);
    },
    validate(o) {
      const errs: FieldError[] = [];
      const cs = o.spec?.containers;
      if (!Array.isArray(cs) || cs.length === 0) errs.push(fieldErrors.required('spec.containers', ''));
      else
        cs.forEach((c: Obj, i: number) => {
          if (!c || typeof c.name !== 'string' || !c.name) errs.push(fieldErrors.required(`spec.containers[${i}].name`, ''));
          if (!c || typeof c.image !== 'string' || !c.image) errs.push(fieldErrors.required(`spec.containers[${i}].image`, ''));
        });
      return errs;
    },
  },
  '/events': {
    fields: {
      'involvedObject.kind': (o) => o.involvedObject?.kind,
      'involvedObject.namespace': (o) => o.involvedObject?.namespace,
      'involvedObject.name': (o) => o.involvedObject?.name,
      'involvedObject.uid': (o) => o.involvedObject?.uid,
      'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
      'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
      'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
      reason: (o) => o.reason,
      reportingComponent: (o) => o.reportingComponent,
      source: (o) => o.source?.component,
      type: (o) => o.type,
    },
  },
  '/nodes': {
    fields: { 'spec.unschedulable': (o) => String(!!o.spec?.unschedulable) },
    encodeAsTyped(o) {
      nullTimes(o.status?.conditions, ['lastHeartbeatTime', 'lastTransitionTime']);
    },
  },
  '/namespaces': {
    fields: { 'status.phase': (o) => o.status?.phase },
    validateName: validateDnsLabel,
    prepareForCreate(o) {
      o.spec = { finalizers: ['kubernetes'], ...(o.spec ?? {}) };
      o.status = { phase: 'Active' };
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
    },
  },
  '/secrets': {
    fields: { type: (o) => o.type },
    prepareForCreate(o) {
      if (!o.type) o.type = 'Opaque';
    },
  },
};

/** RBAC objects (pkg/apis/rbac/validation): names are path segments (`system:masters` is one); a binding must name its role. */
function validateBinding(clusterScoped: boolean) {
  return (o: Obj): FieldError[] => {
    const errs: FieldError[] = [];
    const kinds = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole'];
    if (!kinds.includes(o.roleRef?.kind)) errs.push(fieldErrors.notSupported('roleRef.kind', o.roleRef?.kind ?? '', kinds));
    if (!o.roleRef?.name) errs.push(fieldErrors.required('roleRef.name'));
    (o.subjects ?? []).forEach((s: Obj, i: number) => {
      if (!['ServiceAccount', 'User', 'Group'].includes(s?.kind)) errs.push(fieldErrors.notSupported(`subjects[${i}].kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
      if (!s?.name) errs.push(fieldErrors.required(`subjects[${i}].name`));
    });
    return errs;
  };
}

function validateRules(o: Obj): FieldError[] {
  const errs: FieldError[] = [];
  (o.rules ?? []).forEach((r: Obj, i: number) => {
    if (!r?.verbs?.length) errs.push(fieldErrors.required(`rules[${i}].verbs`, 'verbs must contain at least one value'));
  });
  return errs;
}

const RBAC = 'rbac.authorization.k8s.io';

/** A binding's roleRef is immutable (kube-apiserver: delete and recreate the binding instead). */
export function validateRoleRefUpdate(storeKey: string, obj: Obj, old: Obj | null): FieldError[] {
  if (!old || (storeKey !== `${RBAC}/rolebindings` && storeKey !== `${RBAC}/clusterrolebindings`)) return [];
  const a = old.roleRef ?? {};
  const b = obj.roleRef ?? {};
  if (a.apiGroup === b.apiGroup && a.kind === b.kind && a.name === b.name) return [];
  return [fieldErrors.invalid('roleRef', b, 'cannot change roleRef')];
}
KIND_BEHAVIOUR[`${RBAC}/roles`] = { validateName: validatePathSegmentName, validate: validateRules };
KIND_BEHAVIOUR[`${RBAC}/clusterroles`] = { validateName: validatePathSegmentName, validate: validateRules };
KIND_BEHAVIOUR[`${RBAC}/rolebindings`] = { validateName: validatePathSegmentName, validate: validateBinding(false) };
KIND_BEHAVIOUR[`${RBAC}/clusterrolebindings`] = { validateName: validatePathSegmentName, validate: validateBinding(true) };

Object.assign(KIND_BEHAVIOUR, WORKLOAD_BEHAVIOUR);

export function behaviourOf(storeKey: string): KindBehaviour | undefined {
  return KIND_BEHAVIOUR[storeKey];
}

/** The indexed field values of an object, for field selectors on list and watch. */
export function indexFields(storeKey: string, o: Obj): Record<string, string> | undefined {
  const f = KIND_BEHAVIOUR[storeKey]?.fields;
  if (!f) return undefined;
  const out: Record<string, string> = {};
  for (const k in f) {
    const v = str(f[k](o));
    if (v !== undefined) out[k] = v;
  }
  return out;
}
