/**
 * Object lifecycle with kube-apiserver's semantics, independent of HTTP: create (generateName,
 * uid, timestamps, generation), update (optimistic concurrency, status subresource, no-op
 * detection), graceful delete (finalizers, deletionTimestamp, pod grace periods), and garbage
 * collection of dependents through ownerReferences.
 */
import { randomUUID } from 'node:crypto';
import { deepEqual, generateName, validateAnnotations, validateLabels, validateObjectMeta, type FieldError } from '@virtsim/apimachinery';
import type { UserInfo } from './auth.ts';
import { behaviourOf, indexFields } from './builtins.ts';
import { recordWrite } from './apply.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { StatusError, alreadyExists, badRequest, conflict, invalid, notFound } from './status.ts';
import type { Entry, Store } from './store.ts';

/** Objects a terminating namespace's sweep deletes per event-loop turn (about 20-50 ms of work). */
const SWEEP_BATCH = 100;
/** How often a sweep waiting for the watchers looks again, and how long it waits for one that reads nothing. */
const SWEEP_RETRY_MS = 20;
const SWEEP_STALL_MS = 1_000;

type Obj = Record<string, any>;

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** The manager named by the client's User-Agent (as Kubernetes does), when fieldManager is not given. */
  userAgentManager?: string;
  /** Server-side apply already computed managedFields. */
  applied?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** Hooks other parts plug in: KubeVirt's admission, CRD registration, namespace cleanup. */
export interface ObjectHooks {
  /** Mutating then validating admission; may change `obj` or throw an StatusError. */
  admit?(op: 'CREATE' | 'UPDATE', rt: ResourceType, obj: Obj, old: Obj | null, user: UserInfo): void;
  /** Kind-specific validation (CRD definitions); returns field errors. */
  validate?(rt: ResourceType, obj: Obj, old: Obj | null): FieldError[];
  /** After an object of this resource was written or removed (obj null). */
  afterWrite?(rt: ResourceType, obj: Obj | null, name: string): void;
}

export const SYSTEM_USER: UserInfo = { username: 'system:apiserver', groups: ['system:masters'] };

/** Seconds-precision RFC 3339, as Kubernetes writes timestamps. */
export function nowTimestamp(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * apiVersion, kind, then metadata starting with name, namespace and resourceVersion (none of which
 * can hold a quote): metadata.resourceVersion is then the first "resourceVersion" in the JSON text,
 * which lets the store splice a new one in without serializing again.
 */
function ordered(o: Obj): Obj {
  const { apiVersion, kind, metadata, ...rest } = o;
  const md = metadata && typeof metadata === 'object' ? { name: metadata.name, namespace: metadata.namespace, resourceVersion: metadata.resourceVersion, ...metadata } : metadata;
  return { apiVersion, kind, metadata: md, ...rest };
}

/** Structural equality of JSON values (apimachinery's, re-exported for the server's modules). */
export { deepEqual } from '@virtsim/apimachinery';

/** The metadata an update writes: the request's, with the fields no update may change (and `keep`) taken from `old`. */
function updatedMetadata(old: Obj, next: Obj, keep: string[] = []): Obj {
  const md: Obj = { ...next.metadata };
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink', ...keep])
    if (old.metadata[k] === undefined) delete md[k];
    else md[k] = old.metadata[k];
  return md;
}

/** Has anything outside metadata (and status, when it is a subresource) changed? */
function specChanged(rt: ResourceType, a: Obj, b: Obj): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind' || (rt.hasStatus && k === 'status')) continue;
    if (!deepEqual(a[k], b[k])) return true;
  }
  return false;
}

export class ObjectService {
  readonly store: Store;
  readonly hooks: ObjectHooks[] = [];
  private readonly resolveType: (storeKey: string) => ResourceType | undefined;
  /**
   * The JSON of each object a dry-run update prepared, so committing it (once the validating
   * webhooks, which only read it, accepted it) does not serialize it a second time.
   */
  private readonly preparedJson = new WeakMap<Obj, string>();
  /**
   * A namespace sweep deletes its next batch only once no watch has more than this unread (set by
   * the server from its slow-watch bound; unset: it never waits).
   */
  sweepYieldBytes = Infinity;

  constructor(store: Store, resolveType: (storeKey: string) => ResourceType | undefined) {
    this.store = store;
    this.resolveType = resolveType;
  }

  parse(e: Entry): Obj {
    return JSON.parse(e.json);
  }

  getEntry(rt: ResourceType, ns: string, name: string): Entry {
    const e = this.store.get(rt.storeKey, ns, name);
    if (!e) throw notFound(rt.group, rt.resource, name);
    return e;
  }

  private checkNamespace(rt: ResourceType, ns: string, name: string): void {
    if (!rt.namespaced) return;
    const nsEntry = this.store.get('/namespaces', '', ns);
    if (!nsEntry) throw notFound('', 'namespaces', ns);
    if (JSON.parse(nsEntry.json).status?.phase === 'Terminating')
      throw new StatusError(403, 'Forbidden', `${rt.resource} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
        kind: rt.resource,
        group: rt.group,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
  }

  private checkTypeMeta(rt: ResourceType, obj: Obj): void {
    const want = apiVersionOf(rt);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want)
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    if (obj.kind !== undefined && obj.kind !== rt.kind)
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${rt.kind})`);
    if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)))
      throw badRequest('metadata: the object metadata must be a JSON object');
  }

  private validateCommon(rt: ResourceType, obj: Obj, old: Obj | null): void {
    const errs: FieldError[] = [];
    if (old) {
      // What the stored object already had passed these checks: most updates (status, heartbeats)
      // leave labels and annotations as they were, and comparing is cheaper than validating.
      if (!deepEqual(obj.metadata.labels, old.metadata.labels)) errs.push(...validateLabels(obj.metadata.labels));
      if (!deepEqual(obj.metadata.annotations, old.metadata.annotations)) errs.push(...validateAnnotations(obj.metadata.annotations));
    }
    errs.push(...(behaviourOf(rt.storeKey)?.validate?.(obj) ?? []));
    for (const h of this.hooks) if (h.validate) errs.push(...h.validate(rt, obj, old));
    if (rt.crd?.admit) errs.push(...rt.crd.admit(obj));
    if (errs.length) throw invalid(rt.kind, rt.group, obj.metadata.name ?? '', errs);
  }

  create(rt: ResourceType, ns: string, body: Obj, user: UserInfo, opts: WriteOptions = {}): Obj {
    this.checkTypeMeta(rt, body);
    const md: Obj = { ...(body.metadata ?? {}) };
    if (rt.namespaced) {
      if (md.namespace && md.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      md.namespace = ns;
    } else delete md.namespace;
    const errs = validateObjectMeta(md, { namespaced: rt.namespaced, validateName: behaviourOf(rt.storeKey)?.validateName });
    if (errs.length) throw invalid(rt.kind, rt.group, md.name ?? md.generateName ?? '', errs);
    this.checkNamespace(rt, ns, md.name ?? md.generateName ?? '');
    if (!md.name) {
      // generateName: retry on the rare collision, as the real server's caller would.
      for (let i = 0; i < 8; i++) {
        md.name = generateName(md.generateName);
        if (!this.store.get(rt.storeKey, ns, md.name)) break;
      }
    }
    if (this.store.get(rt.storeKey, ns, md.name)) throw alreadyExists(rt.group, rt.resource, md.name);
    md.uid = randomUUID();
    md.resourceVersion = '';
    md.creationTimestamp = nowTimestamp();
    md.generation = 1;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.selfLink;
    if (md.managedFields !== undefined && !Array.isArray(md.managedFields)) delete md.managedFields;
    let obj: Obj = ordered({ ...body, apiVersion: apiVersionOf({ group: rt.group, version: rt.storageVersion }), kind: rt.kind, metadata: md });
    if (rt.crd && rt.hasStatus) delete obj.status;
    behaviourOf(rt.storeKey)?.defaults?.(obj);
    behaviourOf(rt.storeKey)?.prepareForCreate?.(obj);
    for (const h of this.hooks) h.admit?.('CREATE', rt, obj, null, user);
    this.validateCommon(rt, obj, null);
    if (opts.fieldManager && !opts.applied) obj = recordWrite(rt, null, obj, opts.fieldManager);
    behaviourOf(rt.storeKey)?.encodeAsTyped?.(obj);
    obj = ordered(obj);
    if (opts.dryRun) return obj;
    this.store.put(rt.storeKey, { obj, fields: indexFields(rt.storeKey, obj) });
    this.afterWrite(rt, obj);
    return obj;
  }

  /**
   * Stores an object a dry-run create prepared, once admission webhooks (async) accepted it: the
   * checks that may have changed while they ran are made again.
   */
  commitCreate(rt: ResourceType, ns: string, obj: Obj): Obj {
    const name = obj.metadata.name;
    this.checkNamespace(rt, ns, name);
    if (this.store.get(rt.storeKey, ns, name)) throw alreadyExists(rt.group, rt.resource, name);
    this.store.put(rt.storeKey, { obj, fields: indexFields(rt.storeKey, obj) });
    this.afterWrite(rt, obj);
    return obj;
  }

  /**
   * Stores an object a dry-run update prepared from the version `obj.metadata.resourceVersion`
   * names, once admission webhooks accepted it; undefined when the object changed meanwhile (the
   * caller computes it again, as GuaranteedUpdate does).
   */
  commitUpdate(rt: ResourceType, ns: string, name: string, obj: Obj): Obj | undefined {
    const entry = this.store.get(rt.storeKey, ns, name);
    if (!entry || String(entry.rv) !== obj.metadata.resourceVersion) return undefined;
    return this.writeUpdate(rt, ns, name, obj, entry, this.preparedJson.get(obj) ?? JSON.stringify(obj));
  }

  /**
   * Replaces an object (PUT, and every patch after it was applied). `sub` = 'status' takes only
   * the status from `next`; otherwise status is kept when it is a subresource.
   */
  update(rt: ResourceType, ns: string, name: string, next: Obj, user: UserInfo, sub: string | undefined, opts: WriteOptions = {}, oldIn?: { entry: Entry; obj: Obj }): Obj {
    this.checkUpdateRequest(rt, ns, name, next);
    const entry = oldIn?.entry ?? this.getEntry(rt, ns, name);
    const old = oldIn?.obj ?? this.parse(entry);
    this.checkPrecondition(rt, name, next, entry, !!oldIn);
    let obj: Obj;
    if (sub === 'status') {
      obj = { ...old, status: next.status };
      if (next.status === undefined) delete obj.status;
      // A custom resource's status strategy takes only the status; a built-in's (pods, nodes,
      // namespaces) resets only the spec, so labels, annotations and finalizers sent with the
      // status are kept, as kube-apiserver 1.26 does; pods keep their ownerReferences.
      obj.metadata = rt.crd ? { ...old.metadata } : updatedMetadata(old, next, rt.storeKey === '/pods' ? ['ownerReferences'] : []);
    } else {
      obj = { ...next, apiVersion: old.apiVersion, kind: old.kind };
      if (rt.hasStatus) {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
      obj.metadata = updatedMetadata(old, next);
      behaviourOf(rt.storeKey)?.defaults?.(obj);
    }
    for (const h of this.hooks) h.admit?.('UPDATE', rt, obj, old, user);
    if (old.metadata.deletionTimestamp) {
      const had = new Set<string>(old.metadata.finalizers ?? []);
      const added = (obj.metadata.finalizers ?? []).filter((f: string) => !had.has(f));
      if (added.length)
        throw invalid(rt.kind, rt.group, name, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', badValue: '', detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f: string) => JSON.stringify(f)).join(', ')}}` }]);
    }
    if (sub !== 'status') this.validateCommon(rt, obj, old);
    if (specChanged(rt, old, obj)) obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
    // managedFields are kept for writers that name themselves, or once an object has them.
    if (!opts.applied && (opts.fieldManager || Array.isArray(old.metadata.managedFields))) obj = recordWrite(rt, old, obj, opts.fieldManager ?? opts.userAgentManager ?? 'unknown', sub);
    behaviourOf(rt.storeKey)?.encodeAsTyped?.(obj);
    obj = ordered(obj);
    // No-op: nothing changed but the resourceVersion, so nothing is written (no event, same RV).
    obj.metadata.resourceVersion = String(entry.rv);
    const serialized = JSON.stringify(obj);
    if (opts.dryRun) this.preparedJson.set(obj, serialized);
    if (serialized === entry.json) return obj;
    if (opts.dryRun) return obj;
    return this.writeUpdate(rt, ns, name, obj, entry, serialized);
  }

  private writeUpdate(rt: ResourceType, ns: string, name: string, obj: Obj, entry: Entry, serialized: string): Obj {
    if (serialized === entry.json) return obj;
    this.store.put(rt.storeKey, { obj, fields: indexFields(rt.storeKey, obj), serialized, serializedRv: String(entry.rv) });
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers?.length) && !this.awaitsGrace(rt, obj)) {
      this.removeNow(rt, this.store.get(rt.storeKey, ns, name)!, obj);
    } else this.afterWrite(rt, obj);
    return obj;
  }

  /** The request's object names what the URL names. */
  private checkUpdateRequest(rt: ResourceType, ns: string, name: string, next: Obj): void {
    this.checkTypeMeta(rt, next);
    if (!next.metadata || typeof next.metadata !== 'object') throw badRequest('metadata: the object has no metadata');
    if (next.metadata.name !== undefined && next.metadata.name !== name)
      throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    if (rt.namespaced && next.metadata.namespace && next.metadata.namespace !== ns)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }

  /** Optimistic concurrency: a resourceVersion sent must be the current one; a custom resource's PUT must send one. */
  private checkPrecondition(rt: ResourceType, name: string, next: Obj, entry: Entry, patched: boolean): void {
    const wantRv = next.metadata.resourceVersion;
    if (wantRv !== undefined && wantRv !== '' && wantRv !== String(entry.rv))
      throw conflict(rt.group, rt.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    if ((wantRv === undefined || wantRv === '') && rt.crd && !patched)
      throw invalid(rt.kind, rt.group, name, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', badValue: '0x0', detail: 'must be specified for an update' }]);
  }

  /** A pod being terminated gracefully waits for its kubelet's final delete (grace 0). */
  private awaitsGrace(rt: ResourceType, obj: Obj): boolean {
    return rt.storeKey === '/pods' && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  delete(rt: ResourceType, ns: string, name: string, _user: UserInfo, opts: DeleteOptions = {}): { obj: Obj; removed: boolean } {
    const entry = this.getEntry(rt, ns, name);
    const obj = this.parse(entry);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== obj.metadata.uid)
      throw conflict(rt.group, rt.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== String(entry.rv))
      throw conflict(rt.group, rt.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${entry.rv}`);
    if (opts.dryRun) return { obj, removed: false };
    const md = obj.metadata;
    const policy = opts.propagationPolicy ?? 'Background';
    if (policy === 'Orphan') this.orphanDependents(md.uid);

    if (rt.storeKey === '/namespaces') return this.deleteNamespace(rt, entry, obj);

    let finalizers: string[] = Array.isArray(md.finalizers) ? md.finalizers : [];
    if (policy === 'Foreground' && this.store.dependentsOf(md.uid).length && !finalizers.includes('foregroundDeletion')) {
      finalizers = [...finalizers, 'foregroundDeletion'];
      md.finalizers = finalizers;
    }
    // Pods on a node terminate gracefully: the kubelet (here, a node agent) deletes them for good.
    if (rt.storeKey === '/pods' && obj.spec?.nodeName && !obj.status?.phase?.match(/^(Succeeded|Failed)$/)) {
      const grace = opts.gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
      const current = md.deletionGracePeriodSeconds;
      if (grace > 0 && (current === undefined || grace < current)) {
        md.deletionTimestamp = nowTimestamp(Date.now() + grace * 1000);
        md.deletionGracePeriodSeconds = grace;
        this.store.put(rt.storeKey, { obj, fields: indexFields(rt.storeKey, obj) });
        this.afterWrite(rt, obj);
        return { obj, removed: false };
      }
      if (grace > 0 && current !== undefined) return { obj, removed: false };
    }
    if (finalizers.length) {
      if (!md.deletionTimestamp || policy === 'Foreground') {
        md.deletionTimestamp ??= nowTimestamp();
        md.deletionGracePeriodSeconds ??= 0;
        this.store.put(rt.storeKey, { obj, fields: indexFields(rt.storeKey, obj) });
        this.afterWrite(rt, obj);
        if (policy === 'Foreground') this.deleteDependents(md.uid, 'Background');
      }
      return { obj, removed: false };
    }
    if (!md.deletionTimestamp) {
      md.deletionTimestamp = nowTimestamp();
      md.deletionGracePeriodSeconds = 0;
    }
    this.removeNow(rt, entry, obj, policy);
    return { obj, removed: true };
  }

  /** Removes an object for good, then collects its dependents and unblocks foreground owners. */
  removeNow(rt: ResourceType, entry: Entry, obj: Obj, policy: 'Background' | 'Foreground' | 'Orphan' = 'Background'): void {
    this.store.remove(rt.storeKey, entry, obj);
    this.afterWrite(rt, null, entry.name);
    if (policy !== 'Orphan') this.deleteDependents(entry.uid, 'Background');
    for (const ownerUid of entry.ownerUids ?? []) this.maybeFinishForeground(ownerUid);
    if (rt.namespaced) this.finishNamespaceIfEmpty(entry.ns);
  }

  private maybeFinishForeground(ownerUid: string): void {
    const owner = this.store.byUid.get(ownerUid);
    if (!owner || this.store.dependentsOf(ownerUid).length) return;
    const ort = this.resolveType(owner.storeKey);
    if (!ort) return;
    const o = this.parse(owner);
    const f: string[] = o.metadata.finalizers ?? [];
    if (!o.metadata.deletionTimestamp || !f.includes('foregroundDeletion')) return;
    o.metadata.finalizers = f.filter((x) => x !== 'foregroundDeletion');
    if (!o.metadata.finalizers.length) delete o.metadata.finalizers;
    this.update(ort, owner.ns, owner.name, o, SYSTEM_USER, undefined, {}, { entry: owner, obj: this.parse(owner) });
  }

  /** The garbage collector: a dependent whose owners are all gone is deleted; else the dangling reference is dropped. */
  private deleteDependents(uid: string, policy: 'Background'): void {
    for (const dep of this.store.dependentsOf(uid)) {
      const drt = this.resolveType(dep.storeKey);
      if (!drt || this.store.get(dep.storeKey, dep.ns, dep.name) !== dep) continue;
      const others = (dep.ownerUids ?? []).filter((u) => u !== uid && this.store.byUid.has(u));
      try {
        if (others.length) this.dropOwnerRef(drt, dep, uid);
        else this.delete(drt, dep.ns, dep.name, SYSTEM_USER, { propagationPolicy: policy });
      } catch {
        // the dependent went away meanwhile
      }
    }
  }

  private orphanDependents(uid: string): void {
    for (const dep of this.store.dependentsOf(uid)) {
      const drt = this.resolveType(dep.storeKey);
      if (drt) this.dropOwnerRef(drt, dep, uid);
    }
  }

  private dropOwnerRef(rt: ResourceType, dep: Entry, uid: string): void {
    const o = this.parse(dep);
    o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== uid);
    if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
    this.update(rt, dep.ns, dep.name, o, SYSTEM_USER, undefined, {}, { entry: dep, obj: this.parse(dep) });
  }

  /** Namespaces: Terminating, everything inside deleted, then the namespace itself once empty. */
  private deleteNamespace(rt: ResourceType, entry: Entry, obj: Obj): { obj: Obj; removed: boolean } {
    const name = entry.name;
    if (obj.status?.phase !== 'Terminating') {
      obj.metadata.deletionTimestamp ??= nowTimestamp();
      obj.metadata.deletionGracePeriodSeconds ??= 0;
      obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
      this.store.put(rt.storeKey, { obj, fields: indexFields(rt.storeKey, obj) });
      this.afterWrite(rt, obj);
      this.sweepNamespace(name, obj.metadata.uid);
    }
    return { obj: this.finishNamespaceIfEmpty(name) ?? obj, removed: !this.store.get('/namespaces', '', name) };
  }

  /**
   * Deletes everything inside a terminating namespace, SWEEP_BATCH objects per event-loop turn, as
   * kube's namespace controller works in the background: in one turn, a namespace of 5,000 VMIs
   * and their pods held the server for seconds (no Lease renewed meanwhile) and its 10,000 events
   * at once overflowed the watchers' buffers. A small namespace is emptied before the DELETE
   * answers. Later batches wait while a watch is behind (sweepYieldBytes).
   */
  private sweepNamespace(name: string, uid: string): void {
    const entries = this.namespacedEntries(name);
    let stalledMs = 0;
    let lastBacklog = Infinity;
    const step = (first: boolean) => {
      // The namespace is gone (emptied, or deleted and made again): nothing of it is left to sweep.
      if (this.store.get('/namespaces', '', name)?.uid !== uid) return;
      // Deleting faster than the watchers read only fills their buffers until they are closed
      // and list everything again. The sweep waits as long as the slowest watch's backlog
      // shrinks; a client that reads nothing for SWEEP_STALL_MS holds it no longer.
      const backlog = first ? 0 : this.store.watchBacklogBytes();
      if (backlog > this.sweepYieldBytes && stalledMs < SWEEP_STALL_MS) {
        stalledMs = backlog < lastBacklog ? 0 : stalledMs + SWEEP_RETRY_MS;
        lastBacklog = backlog;
        setTimeout(step, SWEEP_RETRY_MS, false);
        return;
      }
      stalledMs = 0;
      lastBacklog = Infinity;
      for (let n = 0; n < SWEEP_BATCH; n++) {
        const next = entries.next();
        if (next.done) return;
        const [drt, e] = next.value;
        try {
          this.delete(drt, name, e.name, SYSTEM_USER, { gracePeriodSeconds: 0 });
        } catch {
          // already gone
        }
      }
      setImmediate(step, false);
    };
    step(true);
  }

  /** Every object of a namespace, resource by resource, looked up as it goes (what was removed meanwhile is skipped). */
  private *namespacedEntries(ns: string): Generator<[ResourceType, Entry]> {
    for (const key of this.store.storeKeys()) {
      const drt = this.resolveType(key);
      if (drt?.namespaced) for (const e of this.store.scan(key, ns)) yield [drt, e];
    }
  }

  /** Removes a terminating namespace once it holds nothing; called after each removal inside it. */
  finishNamespaceIfEmpty(name: string): Obj | undefined {
    const e = this.store.get('/namespaces', '', name);
    if (!e || this.store.namespaceObjectCount(name) > 0) return undefined;
    if (JSON.parse(e.json).status?.phase !== 'Terminating') return undefined;
    const obj = this.parse(e);
    if (obj.metadata.finalizers?.length) return obj;
    const nsRt = this.resolveType('/namespaces')!;
    this.store.remove('/namespaces', e, obj);
    this.afterWrite(nsRt, null, name);
    return obj;
  }

  private afterWrite(rt: ResourceType, obj: Obj | null, name?: string): void {
    for (const h of this.hooks) h.afterWrite?.(rt, obj, name ?? obj?.metadata?.name);
  }
}
