/**
 * Webhook configurations as they are written: defaulted, then checked. The defaults are those
 * admissionregistration.k8s.io/v1 gives (pkg/apis/admissionregistration/v1/defaults.go):
 * failurePolicy Fail, matchPolicy Equivalent, empty namespace and object selectors, timeoutSeconds
 * 10, reinvocationPolicy Never (mutating), rule scope `*`, service port 443, so `kubectl get -o
 * yaml` shows what the real server stores.
 */
import { fieldErrors, LabelSelector, validateDnsSubdomain, type FieldError } from '@virtsim/apimachinery';

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

/**
 * The checks of admissionregistration's ValidateValidating/MutatingWebhookConfiguration that keep a
 * stored configuration usable by the dispatcher: names, clientConfig (exactly one of url or
 * service, https, a service name/namespace/path/port), timeoutSeconds, the policy enums, rules and
 * selectors. Not checked: sideEffects and admissionReviewVersions, which v1 requires at create
 * (so a `sideEffects: Some` configuration, which the real server refuses, can be stored here).
 */
export function validateWebhookConfiguration(cfg: Obj, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (cfg.webhooks === undefined || cfg.webhooks === null) return errs;
  if (!Array.isArray(cfg.webhooks)) return [fieldErrors.invalid('webhooks', '', 'must be a list')];
  const names = new Set<string>();
  cfg.webhooks.forEach((w: unknown, i: number) => {
    const at = `webhooks[${i}]`;
    if (!isObj(w)) return void errs.push(fieldErrors.invalid(at, '', 'must be an object'));
    if (typeof w.name !== 'string' || !w.name) errs.push(fieldErrors.required(`${at}.name`));
    else if (w.name.split('.').length < 3 || validateDnsSubdomain(w.name).length)
      errs.push(fieldErrors.invalid(`${at}.name`, w.name, 'should be a domain with at least three segments separated by dots'));
    else if (names.has(w.name)) errs.push(fieldErrors.duplicate(`${at}.name`, w.name));
    else names.add(w.name);
    errs.push(...clientConfigErrors(w.clientConfig, `${at}.clientConfig`));
    if (w.timeoutSeconds !== undefined && (!Number.isInteger(w.timeoutSeconds) || w.timeoutSeconds < 1 || w.timeoutSeconds > 30))
      errs.push(fieldErrors.invalid(`${at}.timeoutSeconds`, w.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
    const enums: Array<[string, string[]]> = [
      ['failurePolicy', ['Fail', 'Ignore']],
      ['matchPolicy', ['Equivalent', 'Exact']],
    ];
    if (mutating) enums.push(['reinvocationPolicy', ['IfNeeded', 'Never']]);
    for (const [k, allowed] of enums) if (w[k] !== undefined && !allowed.includes(w[k])) errs.push(fieldErrors.notSupported(`${at}.${k}`, w[k], allowed));
    if (w.rules !== undefined && !Array.isArray(w.rules)) errs.push(fieldErrors.invalid(`${at}.rules`, '', 'must be a list'));
    else
      (w.rules ?? []).forEach((r: unknown, j: number) => {
        for (const k of ['operations', 'apiGroups', 'apiVersions', 'resources'])
          if (!isObj(r) || !Array.isArray(r[k]) || r[k].length === 0) errs.push(fieldErrors.required(`${at}.rules[${j}].${k}`));
        if (isObj(r) && r.scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(r.scope))
          errs.push(fieldErrors.notSupported(`${at}.rules[${j}].scope`, r.scope, ['*', 'Cluster', 'Namespaced']));
      });
    for (const k of ['namespaceSelector', 'objectSelector']) {
      if (w[k] === undefined || w[k] === null) continue;
      try {
        LabelSelector.fromObject(w[k]);
      } catch (e) {
        errs.push(fieldErrors.invalid(`${at}.${k}`, '', (e as Error).message));
      }
    }
  });
  return errs;
}

function clientConfigErrors(cc: unknown, at: string): FieldError[] {
  if (!isObj(cc) || (cc.url === undefined) === (cc.service === undefined)) return [fieldErrors.required(at, 'exactly one of url or service is required')];
  if (cc.url !== undefined) {
    let u: URL;
    try {
      u = new URL(String(cc.url));
    } catch (e) {
      return [fieldErrors.invalid(`${at}.url`, cc.url, `must be a valid URL: ${(e as Error).message}`)];
    }
    if (u.protocol !== 'https:') return [fieldErrors.invalid(`${at}.url`, u.protocol.replace(/:$/, ''), "'https' is the only allowed URL scheme")];
    if (u.username || u.password) return [fieldErrors.invalid(`${at}.url`, u.username, 'user information is not permitted in the URL')];
    if (u.hash) return [fieldErrors.invalid(`${at}.url`, u.hash.slice(1), 'fragments are not permitted in the URL')];
    if (u.search) return [fieldErrors.invalid(`${at}.url`, u.search.slice(1), 'query parameters are not permitted in the URL')];
    return [];
  }
  const svc = cc.service;
  if (!isObj(svc)) return [fieldErrors.required(`${at}.service`)];
  const errs: FieldError[] = [];
  if (!svc.name) errs.push(fieldErrors.required(`${at}.service.name`, 'service name is required'));
  if (!svc.namespace) errs.push(fieldErrors.required(`${at}.service.namespace`, 'service namespace is required'));
  if (svc.port !== undefined && (!Number.isInteger(svc.port) || svc.port < 1 || svc.port > 65535))
    errs.push(fieldErrors.invalid(`${at}.service.port`, svc.port, 'port is not valid: must be between 1 and 65535, inclusive'));
  if (svc.path !== undefined && (typeof svc.path !== 'string' || !svc.path.startsWith('/'))) errs.push(fieldErrors.invalid(`${at}.service.path`, svc.path, "must start with a '/'"));
  return errs;
}
