/**
 * The defaults admissionregistration.k8s.io/v1 gives a webhook configuration when it is written
 * (pkg/apis/admissionregistration/v1/defaults.go): failurePolicy Fail, matchPolicy Equivalent,
 * empty namespace and object selectors, timeoutSeconds 10, reinvocationPolicy Never (mutating),
 * rule scope `*`, service port 443. So `kubectl get -o yaml` shows what the real server stores.
 */
type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export function defaultWebhookConfiguration(cfg: Obj, mutating: boolean): void {
  if (!Array.isArray(cfg.webhooks)) return;
  for (const w of cfg.webhooks) {
    if (!isObj(w)) continue;
    w.failurePolicy ??= 'Fail';
    w.matchPolicy ??= 'Equivalent';
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= 10;
    if (mutating) w.reinvocationPolicy ??= 'Never';
    if (Array.isArray(w.rules)) for (const r of w.rules) if (isObj(r)) r.scope ??= '*';
    if (isObj(w.clientConfig) && isObj(w.clientConfig.service)) w.clientConfig.service.port ??= 443;
  }
}
