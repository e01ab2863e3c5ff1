/**
 * pods/NAME/eviction (policy/v1 Eviction; policy/v1beta1 bodies accepted too), as kube-apiserver
 * 1.26 serves it: the pod is deleted with the Eviction's deleteOptions unless a
 * PodDisruptionBudget covering it has no disruption left, in which case the answer is 429 and the
 * pod stays. A granted eviction spends one disruption (written to the budget's status with the pod
 * in disruptedPods) and marks the pod with the DisruptionTarget condition before deleting it.
 * `kubectl drain` evicts through it. Only `create pods/eviction` is authorized: the deletion is
 * the server's own, so a user who may evict but not delete pods can evict.
 */
import type { DeleteOptions } from './objects.ts';
import { SYSTEM_USER, nowTimestamp } from './objects.ts';
import { canIgnorePdb, checkAndDecrement, pdbsForPod, shouldEnforceResourceVersion, stillProcessing, unreadyPodMayGo } from './pdb.ts';
import type { ResourceRequest } from './resource-request.ts';
import { StatusError, badRequest, conflict, successStatus } from './status.ts';
import { admitSubresourceCreate } from './webhook-writes.ts';

type Obj = Record<string, any>;

const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];

const MULTIPLE_PDBS = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.";

/** The Eviction a client posted, checked against the URL as the create handler and EvictionREST check it. */
function checkedEviction(body: Obj, name: string, ns: string | undefined): Obj {
  if (body.apiVersion !== undefined && !EVICTION_VERSIONS.includes(body.apiVersion))
    throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (policy/v1)`);
  if (body.kind !== undefined && body.kind !== 'Eviction') throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (Eviction)`);
  const md: Obj = body.metadata && typeof body.metadata === 'object' ? body.metadata : {};
  if (md.namespace && md.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (md.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  if (body.deleteOptions !== undefined && body.deleteOptions !== null && (typeof body.deleteOptions !== 'object' || Array.isArray(body.deleteOptions)))
    throw badRequest('deleteOptions: expected an object');
  return body;
}

/** Go's %v of a []string. */
const goList = (xs: string[]) => `[${xs.join(' ')}]`;

/** propagateDryRun: the request's dryRun goes into the Eviction's deleteOptions; both given, they must agree. */
export function evictionDeleteOptions(deleteOptions: Obj | undefined | null, queryDryRun: string[]): DeleteOptions {
  const o: Obj = deleteOptions ?? {};
  const bodyDryRun: string[] = Array.isArray(o.dryRun) ? o.dryRun.map(String) : [];
  if (bodyDryRun.length && queryDryRun.length && goList(bodyDryRun) !== goList(queryDryRun))
    throw new StatusError(500, 'InternalError', `Internal error occurred: Non-matching dry-run options in request and content: ${goList(queryDryRun)} and ${goList(bodyDryRun)}`);
  const pre: Obj | undefined = o.preconditions && typeof o.preconditions === 'object' ? o.preconditions : undefined;
  if (o.gracePeriodSeconds !== undefined && o.gracePeriodSeconds !== null && !Number.isInteger(o.gracePeriodSeconds)) throw badRequest('deleteOptions.gracePeriodSeconds: must be an integer');
  return {
    gracePeriodSeconds: o.gracePeriodSeconds ?? undefined,
    propagationPolicy: o.propagationPolicy ?? (o.orphanDependents === true ? 'Orphan' : undefined),
    preconditions: pre ? { uid: pre.uid ?? undefined, resourceVersion: pre.resourceVersion ?? undefined } : undefined,
    dryRun: bodyDryRun.length > 0 || queryDryRun.length > 0,
  };
}

const rvUnset = (o: DeleteOptions) => !o.preconditions?.resourceVersion;

const withResourceVersion = (o: DeleteOptions, rv: string): DeleteOptions => ({ ...o, preconditions: { ...(o.preconditions ?? {}), resourceVersion: rv } });

/** podutil.UpdatePodCondition: the transition time moves only when the status does. */
function withDisruptionTarget(pod: Obj, now: string): Obj {
  const conds: Obj[] = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  const old = conds.find((c) => c?.type === 'DisruptionTarget');
  const next: Obj = { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: old?.status === 'True' ? old.lastTransitionTime : now, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
  return { ...pod, status: { ...(pod.status ?? {}), conditions: old ? conds.map((c) => (c === old ? next : c)) : [...conds, next] } };
}

/**
 * addConditionAndDeletePod: unless dry-run, the pod first gets the DisruptionTarget condition
 * (PodDisruptionConditions is on by default in 1.26), checked against the preconditions as
 * they stand; a resourceVersion precondition then moves to that write's version, since it was ours.
 */
function markAndDelete(r: ResourceRequest, name: string, opts: DeleteOptions): void {
  const { state, rt } = r;
  if (!opts.dryRun) {
    const entry = state.objects.getEntry(rt, r.nsKey, name);
    const pod = state.objects.parse(entry);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== pod.metadata.uid)
      throw conflict('', 'Pod', name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${pod.metadata.uid}). The object might have been deleted and then recreated`);
    if (pre?.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion)
      throw conflict('', 'Pod', name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion}). The object might have been modified`);
    state.objects.update(rt, r.nsKey, name, withDisruptionTarget(pod, nowTimestamp()), SYSTEM_USER, 'status', {}, { entry, obj: pod });
    if (!rvUnset(opts)) opts = withResourceVersion(opts, String(state.objects.getEntry(rt, r.nsKey, name).rv));
  }
  state.objects.delete(rt, r.nsKey, name, r.user, opts);
}

/** The budgets in the pod's namespace. */
function budgetsIn(r: ResourceRequest): Obj[] {
  const pdbRt = r.state.registry.get('policy', 'v1', 'poddisruptionbudgets');
  if (!pdbRt) return [];
  return [...r.state.objects.store.scan(pdbRt.storeKey, r.nsKey)].map((e) => r.state.objects.parse(e));
}

/** Spends one disruption of the budget and writes its status (not on a dry run). */
function spendDisruption(r: ResourceRequest, pdb: Obj, podName: string, dryRun: boolean): void {
  const next = checkAndDecrement(pdb, podName, dryRun, nowTimestamp());
  if (dryRun) return;
  const pdbRt = r.state.registry.get('policy', 'v1', 'poddisruptionbudgets')!;
  const entry = r.state.objects.getEntry(pdbRt, r.nsKey, pdb.metadata.name);
  r.state.objects.update(pdbRt, r.nsKey, pdb.metadata.name, next, SYSTEM_USER, 'status', {}, { entry, obj: pdb });
}

/** POST pods/NAME/eviction. */
export async function serveEviction(r: ResourceRequest): Promise<string> {
  const { state, rt } = r;
  const name = r.name!;
  r.authorize('create');
  const asked = checkedEviction(await r.object(), name, r.ns);
  // KubeVirt's virt-api intercepts virt-launcher evictions with a validating webhook on pods/eviction.
  const version = String(asked.apiVersion ?? 'policy/v1').split('/')[1] ?? 'v1';
  const eviction = r.viaWebhooks('CREATE') ? await admitSubresourceCreate(r, name, asked, 'Eviction', { group: 'policy', version }) : asked;
  const opts = evictionDeleteOptions(eviction.deleteOptions, r.q.getAll('dryRun'));
  const created = () => r.send(201, JSON.stringify({ ...successStatus(), code: 201 }));

  const pod = state.objects.parse(state.objects.getEntry(rt, r.nsKey, name));
  if (canIgnorePdb(pod)) {
    // Already terminal, pending or terminating: it disrupts nothing a budget counts.
    const delOpts = shouldEnforceResourceVersion(pod) && rvUnset(opts) ? withResourceVersion(opts, pod.metadata.resourceVersion) : opts;
    markAndDelete(r, name, delOpts);
    await r.durable();
    created();
    return 'create';
  }

  const pdbs = pdbsForPod(budgetsIn(r), pod);
  if (pdbs.length > 1) {
    // EvictionREST returns this as a Failure Status (no reason), which the handler answers with its code.
    r.send(500, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: MULTIPLE_PDBS, code: 500 }));
    return 'create';
  }
  const pdb = pdbs[0];
  // An unready pod of a healthy application goes without spending the budget, at the version read.
  const unreadyGoes = pdb !== undefined && unreadyPodMayGo(pod, pdb);
  if (pdb && !unreadyGoes) spendDisruption(r, pdb, name, opts.dryRun ?? false);
  try {
    markAndDelete(r, name, unreadyGoes ? withResourceVersion(opts, pod.metadata.resourceVersion) : opts);
  } catch (e) {
    // The pod changed since it was judged unready: the client is asked to retry, as kube does.
    if (e instanceof StatusError && e.code === 409 && unreadyGoes && rvUnset(opts)) throw stillProcessing(pdb.metadata.name);
    throw e;
  }
  await r.durable();
  created();
  return 'create';
}
