import { describe, expect, it } from 'vitest';
import { formatInvalidMessage } from '@virtsim/apimachinery';
import { defaultWebhookConfiguration, validateWebhookConfiguration } from './webhook-config.ts';

const rule = { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] };
const good = (over: Record<string, unknown> = {}) => ({ name: 'a.example.com', clientConfig: { service: { namespace: 'ns', name: 'svc' } }, rules: [rule], sideEffects: 'None', admissionReviewVersions: ['v1'], ...over });
const message = (webhooks: unknown[], mutating = false) => formatInvalidMessage('ValidatingWebhookConfiguration.admissionregistration.k8s.io', 'cfg', validateWebhookConfiguration({ webhooks }, mutating));

describe('webhook configuration defaults', () => {
  it('fills what v1 defaults, leaving what was given', () => {
    const cfg = { webhooks: [good({ timeoutSeconds: 3 })] };
    defaultWebhookConfiguration(cfg, true);
    expect(cfg.webhooks[0]).toMatchObject({ failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 3, reinvocationPolicy: 'Never', rules: [{ scope: '*' }], clientConfig: { service: { port: 443 } } });
    const v = { webhooks: [good()] };
    defaultWebhookConfiguration(v, false);
    expect(v.webhooks[0]).not.toHaveProperty('reinvocationPolicy');
  });
});

describe('webhook configuration validation', () => {
  it('accepts a complete webhook', () => {
    expect(validateWebhookConfiguration({ webhooks: [good(), good({ name: 'b.example.com', clientConfig: { url: 'https://x.example.com/p' } })] }, true)).toEqual([]);
  });

  it('refuses what the dispatcher could not use, in kube-apiserver words', () => {
    expect(message([good({ clientConfig: {} })])).toContain('webhooks[0].clientConfig: Required value: exactly one of url or service is required');
    expect(message([good({ clientConfig: { url: 'http://x.example.com/' } })])).toContain(`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme`);
    expect(message([good({ clientConfig: { service: { name: 'svc' } } })])).toContain('webhooks[0].clientConfig.service.namespace: Required value: service namespace is required');
    expect(message([good({ timeoutSeconds: 31 })])).toContain('webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds');
    expect(message([good({ failurePolicy: 'Sometimes' })])).toContain('webhooks[0].failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"');
    expect(message([good(), good()])).toContain('webhooks[1].name: Duplicate value: "a.example.com"');
    expect(message([good({ name: 'short' })])).toContain('webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots');
    expect(message([good({ rules: [{ ...rule, resources: [] }] })])).toContain('webhooks[0].rules[0].resources: Required value');
    expect(message([good({ objectSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } })])).toContain('webhooks[0].objectSelector');
  });
});
