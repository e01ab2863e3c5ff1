/**
 * The admission webhooks in force: every Mutating- and ValidatingWebhookConfiguration in the store
 * (defaulted as they are written), kept current by the object service's afterWrite hook (so a configuration applies to the very next
 * request, without the informer delay of kube-apiserver). `mayCall` is the one check the write path
 * makes: false, by the rules alone, for every write no webhook names (all of them when no
 * configuration exists, which is every virtsim run that does not install one).
 */
import type { FieldError } from '@virtsim/apimachinery';
import type { ObjectHooks } from './objects.ts';
import { defaultWebhookConfiguration, validateWebhookConfiguration } from './webhook-config.ts';
import type { Store } from './store.ts';
import { ruleNames, type Operation, type WebhookSpec } from './webhook-match.ts';

export const MUTATING_KEY = 'admissionregistration.k8s.io/mutatingwebhookconfigurations';
export const VALIDATING_KEY = 'admissionregistration.k8s.io/validatingwebhookconfigurations';

/** Shared by every write of another kind; the object service only spreads it. */
const NO_ERRORS: FieldError[] = [];

export interface RegisteredWebhook {
  /** The configuration's name (webhooks are called sorted by it, then in their order). */
  configName: string;
  spec: WebhookSpec;
  /** Identity across a request's reinvocation: configuration name and index. */
  id: string;
}

export class WebhookRegistry implements ObjectHooks {
  /** Whether any webhook exists at all: false keeps the write path as it is without webhooks. */
  active = false;
  mutating: RegisteredWebhook[] = [];
  validating: RegisteredWebhook[] = [];
  private readonly store: Store;
  /** mayCall's answers by "OPERATION resource/subresource", until the configurations change. */
  private readonly named = new Map<string, boolean>();

  constructor(store: Store) {
    this.store = store;
    this.refresh();
  }

  /** Re-reads both kinds of configuration (after a restore, and after each write to one). */
  refresh(): void {
    this.mutating = this.load(MUTATING_KEY);
    this.validating = this.load(VALIDATING_KEY);
    this.active = this.mutating.length > 0 || this.validating.length > 0;
    this.named.clear();
  }

  /**
   * Whether any webhook's rules name this operation on this resource: when none does, the request
   * keeps the write path it has without webhooks (a node's Lease renewal, where virt-api's
   * pods/eviction webhook is the only one). Selectors and scope are left to the full match.
   */
  mayCall(operation: Operation, resource: string, subresource: string): boolean {
    if (!this.active) return false;
    const key = `${operation} ${resource}/${subresource}`;
    let named = this.named.get(key);
    if (named === undefined) {
      named = [...this.mutating, ...this.validating].some((h) => (h.spec.rules ?? []).some((rule) => ruleNames(rule, operation, resource, subresource)));
      this.named.set(key, named);
    }
    return named;
  }

  /** Written configurations get v1's defaults. */
  admit(_op: string, rt: { storeKey: string }, obj: Record<string, any>): void {
    if (rt.storeKey === MUTATING_KEY || rt.storeKey === VALIDATING_KEY) defaultWebhookConfiguration(obj, rt.storeKey === MUTATING_KEY);
  }

  /** Refuses a configuration the dispatcher could not use. (Called for every write: nothing allocated for other kinds.) */
  validate(rt: { storeKey: string }, obj: Record<string, any>): FieldError[] {
    return rt.storeKey === MUTATING_KEY || rt.storeKey === VALIDATING_KEY ? validateWebhookConfiguration(obj, rt.storeKey === MUTATING_KEY) : NO_ERRORS;
  }

  afterWrite(rt: { storeKey: string }): void {
    if (rt.storeKey === MUTATING_KEY || rt.storeKey === VALIDATING_KEY) this.refresh();
  }

  private load(storeKey: string): RegisteredWebhook[] {
    const out: RegisteredWebhook[] = [];
    // scan() yields in key order, and the key of a cluster-scoped object is "/name": sorted by name.
    for (const e of this.store.scan(storeKey, undefined)) {
      const cfg = JSON.parse(e.json);
      const hooks: WebhookSpec[] = Array.isArray(cfg.webhooks) ? cfg.webhooks : [];
      hooks.forEach((spec, i) => out.push({ configName: e.name, spec, id: `${e.name}/${i}` }));
    }
    return out;
  }
}
