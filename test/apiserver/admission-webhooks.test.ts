// Admission webhooks against `virtsim apiserver` (child process): a real HTTPS webhook server in
// this test, with a serving certificate for `hook.wh.svc` from its own CA, reached through a
// Service and Endpoints (or a URL). Mutation by JSONPatch, denials as kubectl shows them,
// failurePolicy, timeouts, selectors, dry run, the AdmissionReview fields and concurrent patches.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { loadOrCreatePki } from '../../services/apiserver/src/tls.ts';
import { fileURLToPath } from 'node:url';
import { rawClient } from './raw-client.ts';

const VMI_CRD = fileURLToPath(new URL('../../deploy/crds/virtualmachineinstances.kubevirt.io.yaml', import.meta.url));

type Obj = Record<string, any>;

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
let hookServer: Server;
let hookPort = 0;
let caBundle = '';
/** TLS connections the webhook server accepted. */
let connections = 0;
/** Every AdmissionReview request the webhook server got, by path. */
const seen = new Map<string, Obj[]>();
/** Requests held open (the timeout case), answered at the end. */
const held: ServerResponse[] = [];

const CT = { 'content-type': 'application/json' };
const MERGE = { 'content-type': 'application/merge-patch+json' };
const ADM = '/apis/admissionregistration.k8s.io/v1';

async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = CT) {
  const r = await raw(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.json();
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

/** The webhook backends, by path: each answers an AdmissionRequest with a response (uid added). */
const BACKENDS: Record<string, (req: Obj) => Obj | null> = {
  '/allow': () => ({ allowed: true }),
  '/add-label': (req) => ({
    allowed: true,
    patchType: 'JSONPatch',
    patch: b64(req.object.metadata.labels ? [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }] : [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }]),
  }),
  '/count-calls': (req) => ({
    allowed: true,
    patchType: 'JSONPatch',
    patch: b64([{ op: 'add', path: '/metadata/annotations', value: { ...(req.object.metadata.annotations ?? {}), seen: String(Number(req.object.metadata.annotations?.seen ?? 0) + 1) } }]),
  }),
  '/deny-bad': (req) =>
    (req.name ?? req.object?.metadata?.name ?? '').startsWith('bad') ? { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no objects named bad*' } } : { allowed: true },
  '/deny-bare': () => ({ allowed: false }),
  '/warn': () => ({ allowed: true, warnings: ['this is "deprecated"'] }),
  '/slow': () => null,
  '/wrong-uid': () => ({ uid: 'not-the-request', allowed: true }),
  '/at-most-5': (req) => (req.object.spec.replicas > 5 ? { allowed: true, patchType: 'JSONPatch', patch: b64([{ op: 'replace', path: '/spec/replicas', value: 5 }]) } : { allowed: true }),
  // virt-api's mutator on an UPDATE with nothing to change: a nil Go slice marshalled, "null".
  '/null-patch': () => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from('null').toString('base64') }),
  '/bad-patch': () => ({ allowed: true, patchType: 'JSONPatch', patch: b64([{ op: 'remove', path: '/nothing/here' }]) }),
};

function serveHook(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0]!;
    const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    seen.set(path, [...(seen.get(path) ?? []), { ...review.request, query: (req.url ?? '').split('?')[1], reviewVersion: review.apiVersion }]);
    const answer = BACKENDS[path]?.(review.request);
    if (answer === null) {
      held.push(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, ...answer } }));
  });
}

interface HookOptions {
  path?: string;
  url?: string;
  rules?: Obj[];
  failurePolicy?: string;
  sideEffects?: string;
  timeoutSeconds?: number;
  namespaceSelector?: Obj;
  objectSelector?: Obj;
  reinvocationPolicy?: string;
  admissionReviewVersions?: string[];
}

const CM_CREATE = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];

function webhook(name: string, o: HookOptions): Obj {
  const clientConfig = o.url ? { url: o.url, caBundle } : { service: { namespace: 'wh', name: 'hook', path: o.path ?? '/allow', port: 443 }, caBundle };
  const w: Obj = {
    name,
    clientConfig,
    rules: o.rules ?? CM_CREATE,
    failurePolicy: o.failurePolicy ?? 'Fail',
    sideEffects: o.sideEffects ?? 'None',
    admissionReviewVersions: o.admissionReviewVersions ?? ['v1'],
  };
  for (const k of ['timeoutSeconds', 'namespaceSelector', 'objectSelector', 'reinvocationPolicy'] as const) if (o[k] !== undefined) w[k] = o[k];
  return w;
}

async function mutating(name: string, ...hooks: Array<[string, HookOptions]>) {
  await ok('POST', `${ADM}/mutatingwebhookconfigurations`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name }, webhooks: hooks.map(([n, o]) => webhook(n, o)) });
}

async function validating(name: string, ...hooks: Array<[string, HookOptions]>) {
  await ok('POST', `${ADM}/validatingwebhookconfigurations`, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name }, webhooks: hooks.map(([n, o]) => webhook(n, o)) });
}

const calls = (path: string) => seen.get(path)?.length ?? 0;
const cm = (name: string, extra: Obj = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra } });

beforeAll(async () => {
  const pki = loadOrCreatePki(undefined, ['hook.wh.svc']);
  caBundle = Buffer.from(pki.caPem).toString('base64');
  hookServer = createServer({ key: pki.keyPem, cert: pki.certPem }, serveHook);
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookPort = (hookServer.address() as AddressInfo).port;
  hookServer.on('secureConnection', () => connections++);
  s = await startApiServerForTest({ args: ['--no-audit'] });
  raw = rawClient(s.url, s.caPem, s.token);
  for (const ns of ['wh', 'plain']) await ok('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: 'prod', labels: { env: 'prod' } } });
  await ok('POST', '/api/v1/namespaces/wh/services', { metadata: { name: 'hook' }, spec: { ports: [{ port: 443, targetPort: hookPort }] } });
  await ok('POST', '/api/v1/namespaces/wh/endpoints', { metadata: { name: 'hook' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: hookPort }] }] });
});

afterEach(async () => {
  await ok('DELETE', `${ADM}/mutatingwebhookconfigurations`);
  await ok('DELETE', `${ADM}/validatingwebhookconfigurations`);
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await s?.stop();
  hookServer?.closeAllConnections();
  await new Promise((resolve) => hookServer?.close(resolve));
});

describe('configurations', () => {
  it('are stored with the v1 defaults', async () => {
    await ok('POST', `${ADM}/mutatingwebhookconfigurations`, {
      metadata: { name: 'defaults' },
      webhooks: [{ name: 'd.example.com', clientConfig: { service: { namespace: 'wh', name: 'hook' }, caBundle }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] }],
    });
    const w = (await ok('GET', `${ADM}/mutatingwebhookconfigurations/defaults`)).webhooks[0];
    expect(w).toMatchObject({ failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10, reinvocationPolicy: 'Never', rules: [{ scope: '*' }], clientConfig: { service: { port: 443 } } });
  });
});

describe('configurations that cannot be used', () => {
  it('are refused with 422, as kubectl shows it', async () => {
    const bad = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'broken' }, webhooks: [{ ...webhook('b.example.com', {}), clientConfig: { url: 'http://127.0.0.1/' }, timeoutSeconds: 60 }] };
    const k = await s.kubectl(['create', '-f', '-'], { input: JSON.stringify(bad) });
    expect(k.stderr).toContain(`The ValidatingWebhookConfiguration "broken" is invalid: \n* webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme\n* webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds`);
    expect((await raw('GET', `${ADM}/validatingwebhookconfigurations/broken`)).status).toBe(404);
  });
});

describe('mutating webhooks', () => {
  it('apply their JSONPatch through a Service reference: the stored object carries it', async () => {
    await mutating('labeller', ['label.example.com', { path: '/add-label' }]);
    const created = await ok('POST', '/api/v1/namespaces/plain/configmaps', cm('m1', { labels: { app: 'x' } }));
    expect(created.metadata.labels).toEqual({ app: 'x', mutated: 'yes' });
    const stored = await ok('GET', '/api/v1/namespaces/plain/configmaps/m1');
    expect(stored.metadata.labels).toEqual({ app: 'x', mutated: 'yes' });
    const req = seen.get('/add-label')!.at(-1)!;
    expect(req.query).toBe('timeout=10s');
  });

  it('run in configuration-name order, and an IfNeeded webhook is called again after a later one changed the object', async () => {
    const before = calls('/count-calls');
    await mutating('a-counter', ['count.example.com', { path: '/count-calls', reinvocationPolicy: 'IfNeeded' }]);
    await mutating('b-labeller', ['label.example.com', { path: '/add-label' }]);
    const created = await ok('POST', '/api/v1/namespaces/plain/configmaps', cm('m2'));
    expect(calls('/count-calls') - before).toBe(2);
    expect(created.metadata.annotations).toEqual({ seen: '2' });
    expect(created.metadata.labels).toEqual({ mutated: 'yes' });
  });

  it('mutate a server-side apply from kubectl, creating and then updating', async () => {
    const every = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];
    await mutating('labeller', ['label.example.com', { path: '/add-label', rules: every }]);
    const manifest = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied, namespace: plain}\ndata: {v: "${v}"}\n`;
    for (const v of ['1', '2']) {
      const k = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest(v) });
      expect(k.code, k.stderr).toBe(0);
      const stored = await ok('GET', '/api/v1/namespaces/plain/configmaps/applied');
      expect(stored.data).toEqual({ v });
      expect(stored.metadata.labels).toEqual({ mutated: 'yes' });
    }
    expect(seen.get('/add-label')!.slice(-2).map((r) => [r.operation, r.options.kind])).toEqual([
      ['CREATE', 'CreateOptions'],
      ['UPDATE', 'UpdateOptions'],
    ]);
  });

  it('keep concurrent patches correct: a patch is recomputed when the object changed while its webhook ran', async () => {
    await ok('POST', '/api/v1/namespaces/plain/configmaps', cm('race'));
    await mutating('labeller', ['label.example.com', { path: '/add-label', rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] }]);
    const n = 24;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => raw('PATCH', '/api/v1/namespaces/plain/configmaps/race', JSON.stringify({ data: { [`k${i}`]: String(i) } }), MERGE)));
    expect(results.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    const final = await ok('GET', '/api/v1/namespaces/plain/configmaps/race');
    expect(Object.keys(final.data).length).toBe(n);
    expect(final.metadata.labels).toEqual({ mutated: 'yes' });
  });
});

describe('custom resources and PUT', () => {
  it('a KubeVirt VMI (a custom resource) is mutated on create, in v1 also when asked for in v1alpha3 unless matchPolicy is Exact; a PUT is validated with its old object', async () => {
    expect((await s.kubectl(['apply', '--server-side', '-f', VMI_CRD])).code).toBe(0);
    const vmiRules = [{ operations: ['CREATE'], apiGroups: ['kubevirt.io'], apiVersions: ['v1'], resources: ['virtualmachineinstances'] }];
    await mutating('virt-api-mutator', ['virtualmachineinstances-mutator.kubevirt.io', { path: '/add-label', rules: vmiRules }]);
    const vmi = 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: vmi1, namespace: plain}\nspec: {domain: {devices: {}, memory: {guest: 1Gi}}}\n';
    const created = await s.kubectl(['create', '-f', '-'], { input: vmi });
    expect(created.code, created.stderr).toBe(0);
    const stored = await ok('GET', '/apis/kubevirt.io/v1/namespaces/plain/virtualmachineinstances/vmi1');
    expect(stored.metadata.labels).toEqual({ mutated: 'yes' });
    expect(seen.get('/add-label')!.at(-1)).toMatchObject({ kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstance' }, resource: { resource: 'virtualmachineinstances' } });

    // matchPolicy Equivalent (the default): a v1alpha3 request goes to a v1-only webhook in v1.
    const old = await raw('POST', '/apis/kubevirt.io/v1alpha3/namespaces/plain/virtualmachineinstances', JSON.stringify({ apiVersion: 'kubevirt.io/v1alpha3', kind: 'VirtualMachineInstance', metadata: { name: 'vmi2' }, spec: { domain: { devices: {}, memory: { guest: '1Gi' } } } }), CT);
    expect(old.status, old.text).toBe(201);
    expect(old.json()).toMatchObject({ apiVersion: 'kubevirt.io/v1alpha3', metadata: { labels: { mutated: 'yes' } } });
    expect(seen.get('/add-label')!.at(-1)).toMatchObject({
      kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstance' },
      requestKind: { group: 'kubevirt.io', version: 'v1alpha3', kind: 'VirtualMachineInstance' },
      resource: { version: 'v1' },
      requestResource: { version: 'v1alpha3' },
      object: { apiVersion: 'kubevirt.io/v1' },
    });
    await ok('DELETE', `${ADM}/mutatingwebhookconfigurations/virt-api-mutator`);
    await ok('POST', `${ADM}/mutatingwebhookconfigurations`, { metadata: { name: 'exact' }, webhooks: [{ ...webhook('exact.example.com', { path: '/add-label', rules: vmiRules }), matchPolicy: 'Exact' }] });
    const exact = await raw('POST', '/apis/kubevirt.io/v1alpha3/namespaces/plain/virtualmachineinstances', JSON.stringify({ metadata: { name: 'vmi3' }, spec: { domain: { devices: {}, memory: { guest: '1Gi' } } } }), CT);
    expect(exact.status, exact.text).toBe(201);
    expect(exact.json().metadata.labels).toBeUndefined();

    const updates = [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];
    await validating('put-checker', ['put.example.com', { path: '/deny-bad', rules: updates }]);
    const cmObj = await ok('POST', '/api/v1/namespaces/plain/configmaps', cm('bad-put', { labels: { v: '1' } }));
    const replaced = await s.kubectl(['replace', '-f', '-'], { input: JSON.stringify({ ...cmObj, metadata: { ...cmObj.metadata, labels: { v: '2' } } }) });
    expect(replaced.stderr).toContain('admission webhook "put.example.com" denied the request: no objects named bad*');
    expect(seen.get('/deny-bad')!.at(-1)).toMatchObject({ operation: 'UPDATE', oldObject: { metadata: { labels: { v: '1' } } }, object: { metadata: { labels: { v: '2' } } } });
    expect((await ok('GET', '/api/v1/namespaces/plain/configmaps/bad-put')).metadata.labels).toEqual({ v: '1' });
  });
});

describe('validating webhooks', () => {
  it('deny with the webhook named and its code, as kubectl shows it', async () => {
    await validating('denier', ['deny.example.com', { path: '/deny-bad' }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('bad-one')), CT);
    expect(r.status).toBe(403);
    expect(r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'admission webhook "deny.example.com" denied the request: no objects named bad*' });
    const k = await s.kubectl(['create', 'configmap', 'bad-two', '-n', 'plain']);
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain('error: failed to create configmap: admission webhook "deny.example.com" denied the request: no objects named bad*');
    expect((await s.kubectl(['create', 'configmap', 'good', '-n', 'plain'])).code).toBe(0);
    expect((await raw('GET', '/api/v1/namespaces/plain/configmaps/bad-one')).status).toBe(404);
  });

  it('a denial without a status is a 400 "without explanation"', async () => {
    await validating('bare', ['bare.example.com', { path: '/deny-bare' }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('v2')), CT);
    expect(r.status).toBe(400);
    expect(r.json().message).toBe('admission webhook "bare.example.com" denied the request without explanation');
  });

  it('pass their warnings on as Warning headers (the same text once), which kubectl prints', async () => {
    await validating('warner', ['warn.example.com', { path: '/warn' }], ['warn2.example.com', { path: '/warn' }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('w1')), CT);
    expect(r.status).toBe(201);
    expect(r.headers.warning).toBe('299 - "this is \\"deprecated\\""');
    const k = await s.kubectl(['create', 'configmap', 'w2', '-n', 'plain']);
    expect(k.stderr).toContain('Warning: this is "deprecated"');
  });
});

describe('connections', () => {
  it('are kept alive between calls, and a connection the webhook closed while idle is replaced', async () => {
    await validating('pure', ['pure.example.com', { path: '/allow' }]);
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('ka0')), CT)).status).toBe(201);
    const before = connections;
    for (const n of ['ka1', 'ka2', 'ka3']) expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm(n)), CT)).status).toBe(201);
    expect(connections).toBe(before);
    hookServer.closeIdleConnections();
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('ka4')), CT)).status).toBe(201);
  });
});

describe('failures', () => {
  it('failurePolicy Fail refuses the write when the webhook is down; Ignore lets it through', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `https://127.0.0.1:${port}/check`;
    await validating('down', ['down.example.com', { url }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('f1')), CT);
    expect(r.status).toBe(500);
    expect(r.json().reason).toBe('InternalError');
    expect(r.json().message).toMatch(new RegExp(`^Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://127.0.0.1:${port}/check\\?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused$`));
    const k = await s.kubectl(['create', 'configmap', 'f2', '-n', 'plain']);
    expect(k.stderr).toContain('Internal error occurred: failed calling webhook "down.example.com"');
    await ok('DELETE', `${ADM}/validatingwebhookconfigurations/down`);
    await validating('down', ['down.example.com', { url, failurePolicy: 'Ignore' }]);
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('f1')), CT)).status).toBe(201);
  });

  it('honours timeoutSeconds', async () => {
    await validating('slow', ['slow.example.com', { path: '/slow', timeoutSeconds: 1 }]);
    const t0 = Date.now();
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('t1')), CT);
    const took = Date.now() - t0;
    expect(r.status).toBe(500);
    expect(r.json().message).toBe('Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "https://hook.wh.svc:443/slow?timeout=1s": context deadline exceeded');
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
  });

  it('a certificate that does not name the service is refused (TLS is verified)', async () => {
    // The same backend behind another Service: its certificate names hook.wh.svc, not other.wh.svc.
    await ok('POST', '/api/v1/namespaces/wh/services', { metadata: { name: 'other' }, spec: { ports: [{ port: 443, targetPort: hookPort }] } });
    await ok('POST', '/api/v1/namespaces/wh/endpoints', { metadata: { name: 'other' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: hookPort }] }] });
    const hook = webhook('tls.example.com', { path: '/allow' });
    hook.clientConfig.service.name = 'other';
    await ok('POST', `${ADM}/validatingwebhookconfigurations`, { metadata: { name: 'wrongname' }, webhooks: [hook] });
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('tls1')), CT);
    expect(r.status).toBe(500);
    expect(r.json().message).toMatch(/^Internal error occurred: failed calling webhook "tls.example.com": failed to call webhook: Post "https:\/\/other.wh.svc:443\/allow\?timeout=10s": x509: certificate is valid for localhost, kubernetes, kubernetes.default, kubernetes.default.svc, hook.wh.svc, not other.wh.svc$/);
  });
});

describe('bad responses', () => {
  it('a response for another request is a call failure: refused under Fail, ignored under Ignore', async () => {
    await validating('liar', ['liar.example.com', { path: '/wrong-uid' }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('u1')), CT);
    const uid = seen.get('/wrong-uid')!.at(-1)!.uid;
    expect(r.json()).toMatchObject({ code: 500, reason: 'InternalError', message: `Internal error occurred: failed calling webhook "liar.example.com": received invalid webhook response: expected response.uid="${uid}", got "not-the-request"` });
    await ok('DELETE', `${ADM}/validatingwebhookconfigurations/liar`);
    await validating('liar', ['liar.example.com', { path: '/wrong-uid', failurePolicy: 'Ignore' }]);
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('u1')), CT)).status).toBe(201);
  });

  it('speaks the first AdmissionReview version a webhook accepts, and fails one it cannot speak', async () => {
    await validating('old', ['old.example.com', { path: '/allow', admissionReviewVersions: ['v2', 'v1beta1', 'v1'] }]);
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('av1')), CT)).status).toBe(201);
    expect(seen.get('/allow')!.at(-1)!.reviewVersion).toBe('admission.k8s.io/v1beta1');
    await validating('future', ['future.example.com', { path: '/allow', admissionReviewVersions: ['v2'] }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('av2')), CT);
    expect(r.json().message).toBe('Internal error occurred: failed calling webhook "future.example.com": could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  });

  it('a "null" patch (what virt-api answers when it changes nothing) is no change, not a failure', async () => {
    await mutating('nothing', ['nothing.example.com', { path: '/null-patch' }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('np1', { labels: { a: 'b' } })), CT);
    expect(r.status).toBe(201);
    expect(r.json().metadata.labels).toEqual({ a: 'b' });
    expect(calls('/null-patch')).toBeGreaterThan(0);
  });

  it('a patch that does not apply is an internal error whatever the failurePolicy', async () => {
    await mutating('broken', ['broken.example.com', { path: '/bad-patch', failurePolicy: 'Ignore' }]);
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('bp1')), CT);
    expect(r.status).toBe(500);
    expect(r.json().reason).toBe('InternalError');
    expect((await raw('GET', '/api/v1/namespaces/plain/configmaps/bp1')).status).toBe(404);
  });
});

describe('matching', () => {
  it('does not call a webhook whose rules, namespaceSelector or objectSelector do not match', async () => {
    const before = calls('/deny-bad');
    await validating(
      'picky',
      ['rules.example.com', { path: '/deny-bad', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }] }],
      ['ns.example.com', { path: '/deny-bad', namespaceSelector: { matchLabels: { env: 'prod' } } }],
      ['obj.example.com', { path: '/deny-bad', objectSelector: { matchLabels: { checked: 'true' } } }],
    );
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('bad-unchecked')), CT)).status).toBe(201);
    expect(calls('/deny-bad')).toBe(before);
    const inProd = await raw('POST', '/api/v1/namespaces/prod/configmaps', JSON.stringify(cm('bad-in-prod')), CT);
    expect(inProd.json().message).toBe('admission webhook "ns.example.com" denied the request: no objects named bad*');
    const labelled = await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('bad-checked', { labels: { checked: 'true' } })), CT);
    expect(labelled.json().message).toBe('admission webhook "obj.example.com" denied the request: no objects named bad*');
  });

  it('never sends the webhook configurations themselves to webhooks', async () => {
    await validating('all', ['all.example.com', { path: '/deny-bare', rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] }]);
    await validating('second', ['second.example.com', { path: '/allow' }]);
    expect((await raw('POST', '/api/v1/namespaces/plain/configmaps', JSON.stringify(cm('x1')), CT)).status).toBe(400);
  });
});

describe('dry run', () => {
  it('calls a webhook with sideEffects None, and refuses one with side effects', async () => {
    await validating('pure', ['pure.example.com', { path: '/allow' }]);
    const before = calls('/allow');
    const r = await raw('POST', '/api/v1/namespaces/plain/configmaps?dryRun=All', JSON.stringify(cm('d1')), CT);
    expect(r.status).toBe(201);
    expect(seen.get('/allow')!.at(-1)).toMatchObject({ dryRun: true, options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'] } });
    expect(calls('/allow')).toBe(before + 1);
    expect((await raw('GET', '/api/v1/namespaces/plain/configmaps/d1')).status).toBe(404);
    await validating('effects', ['effects.example.com', { path: '/allow', sideEffects: 'Some' }]);
    const refused = await raw('POST', '/api/v1/namespaces/plain/configmaps?dryRun=All', JSON.stringify(cm('d2')), CT);
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ reason: 'BadRequest', message: 'admission webhook "effects.example.com" does not support dry run' });
    const k = await s.kubectl(['create', 'configmap', 'd3', '-n', 'plain', '--dry-run=server']);
    expect(k.stderr).toContain('admission webhook "effects.example.com" does not support dry run');
  });
});

describe('the AdmissionReview sent', () => {
  it('carries operation, user, objects, options and subresource as kube-apiserver sends them', async () => {
    const every = [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps', 'pods', 'pods/status'] }];
    await validating('recorder', ['record.example.com', { path: '/allow', rules: every }]);
    await ok('POST', '/api/v1/namespaces/plain/configmaps', cm('r1', { labels: { v: '1' } }));
    const create = seen.get('/allow')!.at(-1)!;
    expect(create).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
      requestResource: { group: '', version: 'v1', resource: 'configmaps' },
      name: 'r1',
      namespace: 'plain',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    expect(create.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.object.metadata).toMatchObject({ name: 'r1', namespace: 'plain', labels: { v: '1' } });

    await ok('PATCH', '/api/v1/namespaces/plain/configmaps/r1', { metadata: { labels: { v: '2' } } }, MERGE);
    const update = seen.get('/allow')!.at(-1)!;
    expect(update).toMatchObject({ operation: 'UPDATE', options: { kind: 'UpdateOptions' }, object: { metadata: { labels: { v: '2' } } }, oldObject: { metadata: { labels: { v: '1' } } } });

    await ok('DELETE', '/api/v1/namespaces/plain/configmaps/r1');
    const del = seen.get('/allow')!.at(-1)!;
    expect(del).toMatchObject({ operation: 'DELETE', name: 'r1', object: null, oldObject: { metadata: { name: 'r1' } }, options: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' } });

    await ok('POST', '/api/v1/namespaces/plain/pods', { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await ok('PATCH', '/api/v1/namespaces/plain/pods/p1/status', { status: { phase: 'Running' } }, MERGE);
    const status = seen.get('/allow')!.at(-1)!;
    expect(status).toMatchObject({ operation: 'UPDATE', kind: { kind: 'Pod' }, resource: { resource: 'pods' }, subResource: 'status', requestSubResource: 'status', object: { status: { phase: 'Running' } } });
  });

  it('sends pods/binding as a CREATE of a Binding, and a denial keeps the pod unscheduled', async () => {
    await validating('binder', ['bind.example.com', { path: '/deny-bad', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/binding'] }] }]);
    for (const name of ['good-pod', 'bad-pod']) await ok('POST', '/api/v1/namespaces/plain/pods', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const binding = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'node-1' } });
    expect((await raw('POST', '/api/v1/namespaces/plain/pods/good-pod/binding', binding('good-pod'), CT)).status).toBe(201);
    expect(seen.get('/deny-bad')!.at(-1)).toMatchObject({ operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Binding' }, resource: { resource: 'pods' }, subResource: 'binding', name: 'good-pod', object: { target: { name: 'node-1' } } });
    const denied = await raw('POST', '/api/v1/namespaces/plain/pods/bad-pod/binding', binding('bad-pod'), CT);
    expect(denied.json()).toMatchObject({ code: 403, message: 'admission webhook "bind.example.com" denied the request: no objects named bad*' });
    expect((await ok('GET', '/api/v1/namespaces/plain/pods/bad-pod')).spec.nodeName).toBeUndefined();
    expect((await ok('GET', '/api/v1/namespaces/plain/pods/good-pod')).spec.nodeName).toBe('node-1');
  });

  it('sends pods/eviction as a CREATE of a policy/v1 Eviction, and a denial keeps the pod (as virt-api intercepts launcher evictions)', async () => {
    await validating('evictions', ['evict.example.com', { path: '/deny-bad', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }] }]);
    for (const name of ['good-ev', 'bad-ev']) await ok('POST', '/api/v1/namespaces/plain/pods', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const eviction = (name: string) => JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'plain' } });
    expect((await raw('POST', '/api/v1/namespaces/plain/pods/good-ev/eviction', eviction('good-ev'), CT)).status).toBe(201);
    expect(seen.get('/deny-bad')!.at(-1)).toMatchObject({ operation: 'CREATE', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, resource: { resource: 'pods' }, subResource: 'eviction', name: 'good-ev' });
    const denied = await raw('POST', '/api/v1/namespaces/plain/pods/bad-ev/eviction', eviction('bad-ev'), CT);
    expect(denied.json()).toMatchObject({ code: 403, message: 'admission webhook "evict.example.com" denied the request: no objects named bad*' });
    expect((await raw('GET', '/api/v1/namespaces/plain/pods/bad-ev', undefined, {})).status).toBe(200);
  });

  it('sends NAME/scale as an UPDATE of an autoscaling/v1 Scale, whose patch is what is stored', async () => {
    const scaleRule = [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments/scale'] }];
    await mutating('capper', ['cap.example.com', { path: '/at-most-5', rules: scaleRule }]);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'plain' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
    expect((await s.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) })).code).toBe(0);
    const k = await s.kubectl(['scale', 'deployment', 'web', '-n', 'plain', '--replicas', '9']);
    expect(k.code, k.stderr).toBe(0);
    expect((await ok('GET', '/apis/apps/v1/namespaces/plain/deployments/web')).spec.replicas).toBe(5);
    expect(seen.get('/at-most-5')!.at(-1)).toMatchObject({
      operation: 'UPDATE',
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      subResource: 'scale',
      object: { kind: 'Scale', spec: { replicas: 9 } },
      oldObject: { kind: 'Scale', spec: { replicas: 1 } },
    });
  });

  it('sends serviceaccounts/token as a CREATE of an authentication.k8s.io/v1 TokenRequest', async () => {
    await validating('tokens', ['token.example.com', { path: '/allow', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['serviceaccounts/token'] }] }]);
    const k = await s.kubectl(['create', 'token', 'default', '-n', 'plain']);
    expect(k.code, k.stderr).toBe(0);
    expect(seen.get('/allow')!.at(-1)).toMatchObject({
      operation: 'CREATE',
      kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      requestKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      resource: { group: '', version: 'v1', resource: 'serviceaccounts' },
      subResource: 'token',
      name: 'default',
      namespace: 'plain',
    });
  });

  it('a namespace request carries the namespace name as its namespace', async () => {
    await validating('ns-recorder', ['ns.example.com', { path: '/allow', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], scope: 'Cluster' }] }]);
    await ok('POST', '/api/v1/namespaces', { metadata: { name: 'fresh' } });
    expect(seen.get('/allow')!.at(-1)).toMatchObject({ name: 'fresh', namespace: 'fresh', kind: { kind: 'Namespace' } });
  });

  it('namespaces/finalize is an UPDATE of the finalize subresource', async () => {
    await validating('finalize', ['finalize.example.com', { path: '/allow', rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces/finalize'] }] }]);
    await ok('POST', '/api/v1/namespaces', { metadata: { name: 'to-finalize' } });
    const ns = await ok('GET', '/api/v1/namespaces/to-finalize');
    await ok('PUT', '/api/v1/namespaces/to-finalize/finalize', { ...ns, spec: { finalizers: [] } });
    expect(seen.get('/allow')!.at(-1)).toMatchObject({ operation: 'UPDATE', name: 'to-finalize', namespace: 'to-finalize', subResource: 'finalize', kind: { kind: 'Namespace' } });
  });
});

describe('after a restart', () => {
  it('the configurations kept in the data dir are in force from the first request', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-webhooks-data-'));
    let server: ApiServerHarness | undefined;
    try {
      server = await startApiServerForTest({ dataDir, args: ['--no-audit'] });
      let client = rawClient(server.url, server.caPem, server.token);
      const post = (path: string, body: unknown) => client('POST', path, JSON.stringify(body), CT);
      await post('/api/v1/namespaces', { metadata: { name: 'wh' } });
      await post('/api/v1/namespaces/wh/services', { metadata: { name: 'hook' }, spec: { ports: [{ port: 443 }] } });
      await post('/api/v1/namespaces/wh/endpoints', { metadata: { name: 'hook' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: hookPort }] }] });
      const created = await post(`${ADM}/validatingwebhookconfigurations`, { metadata: { name: 'kept' }, webhooks: [webhook('kept.example.com', { path: '/deny-bad' })] });
      expect(created.status).toBe(201);
      await server.stop();
      server = await startApiServerForTest({ dataDir, args: ['--no-audit'] });
      client = rawClient(server.url, server.caPem, server.token);
      const r = await post('/api/v1/namespaces/default/configmaps', cm('bad-after-restart'));
      expect(r.json().message).toBe('admission webhook "kept.example.com" denied the request: no objects named bad*');
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
