/**
 * The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins of kube-apiserver 1.26
 * (admission/plugin/webhook/mutating and validating dispatchers): which webhooks a request goes
 * to, the AdmissionReview each is sent, JSONPatch responses applied in order with one reinvocation
 * round for `reinvocationPolicy: IfNeeded`, validating webhooks called concurrently, denials,
 * failurePolicy, dry-run side effects and warnings, all worded as the real server words them.
 */
import { randomUUID } from 'node:crypto';
import { applyJsonPatch, decodeJsonPatch, deepEqual } from '@virtsim/apimachinery';
import type { UserInfo } from './auth.ts';
import { StatusError, badRequest } from './status.ts';
import type { Store } from './store.ts';
import { callWebhook, WebhookCallError, type AdmissionResponse } from './webhook-call.ts';
import { isExempt, webhookInvocation, type AdmissionAttributes, type WebhookSpec } from './webhook-match.ts';
import type { RegisteredWebhook, WebhookRegistry } from './webhook-registry.ts';

type Obj = Record<string, any>;

/** One admission request: its attributes, who asks, its options object, and where warnings go. */
export interface AdmissionCall {
  attrs: AdmissionAttributes;
  user: UserInfo;
  /** CreateOptions, UpdateOptions or DeleteOptions (meta.k8s.io/v1). */
  options: Obj;
  warn(text: string): void;
}

/** errors.ToStatusErr: a denial keeps the webhook's Status, with a code of at least 400 and the webhook named. */
export function denial(webhookName: string, result: Obj | undefined): StatusError {
  const deniedBy = `admission webhook ${JSON.stringify(webhookName)} denied the request`;
  const code = typeof result?.code === 'number' && result.code >= 400 ? result.code : 400;
  const message = result?.message ? `${deniedBy}: ${result.message}` : result?.reason ? `${deniedBy}: ${result.reason}` : `${deniedBy} without explanation`;
  return new StatusError(code, result?.reason ?? '', message, result?.details);
}

function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** An object as another version of its group serves it (versions that differ only in apiVersion). */
function inVersion(o: Obj | null, group: string, version: string): Obj | null {
  const apiVersion = group ? `${group}/${version}` : version;
  return o && o.apiVersion !== apiVersion ? { ...o, apiVersion } : o;
}

/**
 * The AdmissionRequest for attributes, for a webhook called in `version`: kind and resource name
 * that version (objects converted to it), requestKind and requestResource what was asked for.
 */
function admissionRequest(c: AdmissionCall, version: string): Obj {
  const a = c.attrs;
  const kind = { group: a.group, version, kind: a.kind, ...a.kindGroupVersion };
  const resource = { group: a.group, version, resource: a.resource };
  const u = c.user;
  const userInfo: Obj = { username: u.username };
  if (u.uid) userInfo.uid = u.uid;
  if (u.groups?.length) userInfo.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) userInfo.extra = u.extra;
  const req: Obj = { uid: randomUUID(), kind, resource };
  if (a.subresource) req.subResource = a.subresource;
  req.requestKind = { ...kind, version: a.kindGroupVersion?.version ?? a.version };
  req.requestResource = { ...resource, version: a.version };
  if (a.subresource) req.requestSubResource = a.subresource;
  if (a.name) req.name = a.name;
  if (a.namespace) req.namespace = a.namespace;
  const object = version === a.version ? a.object : inVersion(a.object, a.group, version);
  const oldObject = version === a.version ? a.oldObject : inVersion(a.oldObject, a.group, version);
  Object.assign(req, { operation: a.operation, userInfo, object, oldObject, dryRun: a.dryRun, options: c.options });
  return req;
}

interface Invocation {
  hook: RegisteredWebhook;
  /** The version the webhook is called in. */
  version: string;
}

export class WebhookAdmission {
  readonly registry: WebhookRegistry;
  private readonly store: Store;

  constructor(store: Store, registry: WebhookRegistry) {
    this.store = store;
    this.registry = registry;
  }

  private readonly namespaceLabels = (ns: string): Record<string, string> | undefined => this.store.get('/namespaces', '', ns)?.labels;

  private matching(hooks: RegisteredWebhook[], a: AdmissionAttributes): Invocation[] {
    if (hooks.length === 0 || isExempt(a)) return [];
    const out: Invocation[] = [];
    for (const hook of hooks) {
      const version = webhookInvocation(hook.spec, a, this.namespaceLabels);
      if (version !== undefined) out.push({ hook, version });
    }
    return out;
  }

  /** Calls one webhook; null when it failed and its failurePolicy is Ignore. Throws the request's error otherwise. */
  private async callOne(w: WebhookSpec, version: string, c: AdmissionCall, mutating: boolean): Promise<AdmissionResponse | null> {
    try {
      if (c.attrs.dryRun) {
        if (!w.sideEffects) throw new WebhookCallError(w.name, 'Webhook SideEffects is nil');
        // errors.NewDryRunUnsupportedErr: not a call failure, so failurePolicy does not apply.
        if (w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') throw badRequest(`admission webhook ${JSON.stringify(w.name)} does not support dry run`);
      }
      const res = await callWebhook(this.store, w, admissionRequest(c, version), mutating);
      for (const text of res.warnings ?? []) c.warn(text);
      if (!res.allowed) throw denial(w.name, res.status);
      return res;
    } catch (e) {
      return failed(w, e);
    }
  }

  /**
   * Mutating webhooks, configurations by name and webhooks in order; returns the object as they
   * left it. A webhook with reinvocationPolicy IfNeeded is called once more when a webhook after
   * it changed the object (the mutating dispatcher's reinvocation context).
   */
  async mutate(c: AdmissionCall): Promise<Obj | null> {
    const candidates = this.registry.mutating;
    if (this.matching(candidates, c.attrs).length === 0) return c.attrs.object;
    let attrs = c.attrs;
    const invokedIfNeeded = new Set<string>();
    let reinvoke = new Set<string>();
    let anyChange = false;
    for (let round = 0; round < 2; round++) {
      for (const h of candidates) {
        if (round === 1 && !reinvoke.has(h.id)) continue;
        // Matched against the object as earlier webhooks left it (an objectSelector sees their labels).
        const version = isExempt(attrs) ? undefined : webhookInvocation(h.spec, attrs, this.namespaceLabels);
        if (version === undefined) continue;
        const res = await this.callOne(h.spec, version, { ...c, attrs }, true);
        let next = attrs.object;
        try {
          // (A v1beta1 answer may leave patchType out; kube refuses that as an unsupported patch type.)
          if (res?.patch && res.patchType !== 'JSONPatch') throw new WebhookCallError(h.spec.name, `unsupported patch type ${JSON.stringify(res.patchType ?? '')}`);
          // The patch is against the object in the webhook's version; the result goes back to the request's.
          if (res?.patch) next = inVersion(applyPatch(h.spec.name, inVersion(attrs.object, attrs.group, version), res.patch), attrs.group, attrs.version);
        } catch (e) {
          failed(h.spec, e);
        }
        if (next !== attrs.object && !deepEqual(next, attrs.object)) {
          attrs = { ...attrs, object: next };
          anyChange = true;
          if (round === 0) reinvoke = new Set([...reinvoke, ...invokedIfNeeded]);
        }
        if (h.spec.reinvocationPolicy === 'IfNeeded') invokedIfNeeded.add(h.id);
      }
      if (!anyChange || reinvoke.size === 0) break;
    }
    return attrs.object;
  }

  /** Validating webhooks, called concurrently; the first refusal in webhook order is the answer. */
  async validate(c: AdmissionCall): Promise<void> {
    const hooks = this.matching(this.registry.validating, c.attrs);
    if (hooks.length === 0) return;
    const results = await Promise.allSettled(hooks.map((i) => this.callOne(i.hook.spec, i.version, c, false)));
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }
}

/** A call failure is ignored (null) under failurePolicy Ignore, else an internal error; other errors pass. */
function failed(w: WebhookSpec, e: unknown): null {
  if (!(e instanceof WebhookCallError)) throw e;
  if (w.failurePolicy === 'Ignore') return null;
  throw internalError(e.message);
}

/**
 * A JSONPatch response applied to the object. An undecodable patch is a call failure (failurePolicy
 * applies); one that does not apply, or any patch on a DELETE, is an internal error.
 */
function applyPatch(webhookName: string, obj: Obj | null, patchB64: string): Obj | null {
  let ops;
  try {
    ops = decodeJsonPatch(JSON.parse(Buffer.from(patchB64, 'base64').toString('utf8')));
  } catch (e) {
    throw new WebhookCallError(webhookName, `received undecodable patch in webhook response: ${(e as Error).message}`);
  }
  if (ops.length === 0) return obj;
  if (obj === null) throw internalError(`admission webhook ${JSON.stringify(webhookName)} attempted to modify the object, which is not supported for this operation`);
  let out: unknown;
  try {
    out = applyJsonPatch(obj, ops);
  } catch (e) {
    throw internalError((e as Error).message);
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) throw internalError(`admission webhook ${JSON.stringify(webhookName)} patched the object into ${JSON.stringify(out)}`);
  return out as Obj;
}

/** A Warning header value as kube-apiserver writes it (299, agent "-", the text quoted). */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/[\\"]/g, (ch) => '\\' + ch)}"`;
}
