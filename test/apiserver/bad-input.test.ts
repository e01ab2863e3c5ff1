// Bad input answered as kube-apiserver answers it (a Status with the right code and a message that
// names the field), with the server still serving afterwards; plus a bounded fuzz of request bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { rawClient, type RawResponse } from './raw-client.ts';

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
const JSON_CT = { 'content-type': 'application/json' };
const CMS = '/api/v1/namespaces/default/configmaps';

function expectStatus(r: RawResponse, code: number, reason: string, message?: RegExp | string) {
  const st = r.json();
  expect(st).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  expect(r.status).toBe(code);
  if (message instanceof RegExp) expect(st.message).toMatch(message);
  else if (message) expect(st.message).toContain(message);
  return st;
}

beforeAll(async () => {
  s = await startApiServerForTest({ args: ['--no-audit'] });
  raw = rawClient(s.url, s.caPem, s.token);
  const crdOk = await raw('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 } } } } } } }] },
  }), JSON_CT);
  expect(crdOk.status).toBe(201);
});

afterAll(async () => {
  await s?.stop();
});

describe('bad input', () => {
  it('refuses requests without a valid token (401)', async () => {
    const r = await rawClient(s.url, s.caPem, 'wrong')('GET', '/api/v1/namespaces');
    expectStatus(r, 401, 'Unauthorized');
  });

  it('answers malformed JSON and YAML with 400 naming the problem', async () => {
    expectStatus(await raw('POST', CMS, '{"metadata": {"name": "x"', JSON_CT), 400, 'BadRequest', 'not valid JSON');
    expectStatus(await raw('POST', CMS, 'metadata: {name: [x', { 'content-type': 'application/yaml' }), 400, 'BadRequest', 'not valid YAML');
    expectStatus(await raw('POST', CMS, '[1,2]', JSON_CT), 400, 'BadRequest', 'must be a JSON object');
    expectStatus(await raw('POST', CMS, JSON.stringify({ apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'x' } }), JSON_CT), 400, 'BadRequest', 'does not match the expected API version');
  });

  it('answers unknown resources and paths with 404 as kube-apiserver 1.26 does', async () => {
    // Under a root go-restful serves (/api, a built-in group): a Status with empty details.
    const status = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}';
    for (const p of ['/api/v1/namespaces/default/deployments', '/api/v1/pods/x/eviction', '/api/v2/pods', '/apis/coordination.k8s.io/v9/leases']) {
      const r = await raw('GET', p);
      expect([r.status, r.text], p).toEqual([404, status]);
    }
    // Anywhere else (an unknown group, a CRD group's unknown resource or version): the not-found handler's text.
    for (const p of ['/apis/nope.example.com/v1/things', '/apis/nope.example.com', '/apis/example.com/v1/nothings', '/apis/example.com/v9', '/apis//v1/x', '/nowhere']) {
      const r = await raw('GET', p);
      expect([r.status, r.text, r.headers['content-type']], p).toEqual([404, '404 page not found\n', 'text/plain; charset=utf-8']);
    }
    expectStatus(await raw('GET', `${CMS}/missing`), 404, 'NotFound', 'configmaps "missing" not found');
    expectStatus(await raw('POST', '/api/v1/namespaces/nowhere/configmaps', JSON.stringify({ metadata: { name: 'x' } }), JSON_CT), 404, 'NotFound', 'namespaces "nowhere" not found');
  });

  it('answers malformed paths and query strings with a 4xx Status', async () => {
    for (const p of ['/api/v1/namespaces/%E0%A4%A/pods', '/apis/%zz/v1/things', '/api/v1/namespaces/default/configmaps/a/b/c/d', `/api/v1/${'x'.repeat(5000)}`, '/api/v1/namespaces/default/configmaps?limit=-5&continue=%%%', '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(', '/api/v1/pods?fieldSelector=spec.unknownField%3Dx', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc']) {
      const r = await raw('GET', p);
      expect(r.status, `${p} -> ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
      expect(r.json().kind).toBe('Status');
    }
    expect((await raw('GET', '/api/v1/pods?fieldSelector=spec.unknownField%3Dx')).json().message).toBe('field label not supported: spec.unknownField');
  });

  it('answers unsupported content types with 415', async () => {
    expectStatus(await raw('POST', CMS, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UnsupportedMediaType');
    await raw('POST', CMS, JSON.stringify({ metadata: { name: 'target' }, data: { a: 'b' } }), JSON_CT);
    expectStatus(await raw('PATCH', `${CMS}/target`, '{}', { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType', 'application/merge-patch+json');
    const w = await raw('POST', '/apis/example.com/v1/namespaces/default/widgets', JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 2 } }), JSON_CT);
    expect(w.status).toBe(201);
    expectStatus(await raw('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w', '{}', { 'content-type': 'application/strategic-merge-patch+json' }), 415, 'UnsupportedMediaType');
  });

  it('answers patches that do not apply with 422 and malformed patches with 400', async () => {
    expectStatus(await raw('PATCH', `${CMS}/target`, '[{"op":"test","path":"/data/a","value":"zzz"}]', { 'content-type': 'application/json-patch+json' }), 422, 'Invalid', 'testing value /data/a failed');
    expectStatus(await raw('PATCH', `${CMS}/target`, '[{"op":"remove","path":"/data/nope"}]', { 'content-type': 'application/json-patch+json' }), 422, 'Invalid');
    expectStatus(await raw('PATCH', `${CMS}/target`, '{"op":"add"}', { 'content-type': 'application/json-patch+json' }), 400, 'BadRequest');
    expectStatus(await raw('PATCH', `${CMS}/target`, '{not json', { 'content-type': 'application/merge-patch+json' }), 400, 'BadRequest');
    const cm = (await raw('GET', `${CMS}/target`)).json();
    expect(cm.data).toEqual({ a: 'b' });
  });

  it('answers oversized bodies with 413', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    // Answered while the client is still sending: it must read the 413, not a reset connection, every time.
    for (let i = 0; i < 10; i++) expectStatus(await raw('POST', CMS, big, JSON_CT), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    // Without a declared length (chunked), refused once the bytes read pass the limit.
    expectStatus(await raw('POST', CMS, big, { ...JSON_CT, 'transfer-encoding': 'chunked' }), 413, 'RequestEntityTooLarge');
    expect((await raw('GET', '/api/v1/namespaces/default')).status).toBe(200);
  });

  it('refuses bodies nested more than 100 levels deep with 400 naming the limit, in JSON, patches and YAML', async () => {
    // The object itself is level 1, so `x` may hold 99 levels of arrays and no more.
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const cm = (name: string, levels: number) => `{"metadata":{"name":"${name}"},"x":${nested(levels)}}`;
    const limit = 'the request body nests objects and arrays more than 100 levels deep, the limit of this server';
    expect((await raw('POST', CMS, cm('deep-ok', 99), JSON_CT)).status).toBe(201);
    expectStatus(await raw('POST', CMS, cm('deep-no', 100), JSON_CT), 400, 'BadRequest', limit);
    // Far deeper than the stack allows (it was a 500 before the limit), brackets inside strings not counted.
    expectStatus(await raw('POST', CMS, `{"metadata":{"name":"deeper","annotations":{"a":"${'['.repeat(500)}"}},"x":${nested(50_000)}}`, JSON_CT), 400, 'BadRequest', limit);
    expect((await raw('POST', CMS, `{"metadata":{"name":"brackets-in-strings","annotations":{"a":"${'[{'.repeat(500)}\\"${'['.repeat(500)}"}}}`, JSON_CT)).status).toBe(201);
    expectStatus(await raw('PATCH', `${CMS}/deep-ok`, `{"y":${nested(200)}}`, { 'content-type': 'application/merge-patch+json' }), 400, 'BadRequest', limit);
    const yaml = `metadata:\n  name: deep-yaml\nx: ${nested(5000)}\n`;
    expectStatus(await raw('POST', CMS, yaml, { 'content-type': 'application/yaml' }), 400, 'BadRequest', limit);
    expect((await raw('GET', `${CMS}/deep-ok`)).status).toBe(200);
  });

  it('answers invalid names and labels with 422 naming the field', async () => {
    let st = expectStatus(await raw('POST', CMS, JSON.stringify({ metadata: { name: 'Not_A_Name' } }), JSON_CT), 422, 'Invalid');
    expect(st.message).toContain('ConfigMap "Not_A_Name" is invalid: metadata.name: Invalid value: "Not_A_Name"');
    expect(st.details.causes[0].field).toBe('metadata.name');
    st = expectStatus(await raw('POST', CMS, JSON.stringify({ metadata: {} }), JSON_CT), 422, 'Invalid', 'metadata.name: Required value: name or generateName is required');
    st = expectStatus(await raw('POST', CMS, JSON.stringify({ metadata: { name: 'ok', labels: { 'bad key!': 'v' } } }), JSON_CT), 422, 'Invalid', 'metadata.labels: Invalid value: "bad key!"');
    st = expectStatus(await raw('POST', '/apis/example.com/v1/namespaces/default/widgets', JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w0' }, spec: { size: 0 } }), JSON_CT), 422, 'Invalid');
    expect(st.message).toContain('spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1');
  });

  it('refuses a CRD with a broken schema (422 naming the schema field)', async () => {
    const st = expectStatus(await raw('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: { x: { type: 'string' } } } } } } }] },
    }), JSON_CT), 422, 'Invalid');
    expect(st.message).toContain('CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid');
    expect(st.message).toContain('spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value');
    // Never served: the CRD group's not-found answer.
    expect((await raw('GET', '/apis/example.com/v1/namespaces/default/gadgets')).text).toBe('404 page not found\n');
  });

  it('refuses impersonation by a user not allowed to impersonate (403)', async () => {
    const plain = await startApiServerForTest({ inProcess: true, serverOptions: { tokens: [{ token: 'plain-token', user: { username: 'plain', groups: [] }, canImpersonate: false }] } });
    try {
      const r = await rawClient(plain.url, plain.caPem, 'plain-token')('GET', '/api/v1/namespaces', undefined, { 'impersonate-user': 'system:serviceaccount:kubevirt:kubevirt-controller' });
      expectStatus(r, 403, 'Forbidden', 'cannot impersonate');
    } finally {
      await plain.stop();
    }
  });

  it('survives a bounded fuzz of request bodies and keeps serving', async () => {
    const seeds = [
      '{"metadata":{"name":"fz"},"data":{"a":"b"}}',
      '[{"op":"replace","path":"/data/a","value":"c"}]',
      'metadata:\n  name: fz\n',
    ];
    const types = ['application/json', 'application/yaml', 'application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf'];
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const mutate = (b: string): Buffer => {
      const buf = Buffer.from(b);
      const kind = rnd(4);
      if (kind === 0) return randomBytes(rnd(64));
      if (kind === 1) return buf.subarray(0, rnd(buf.length + 1));
      const out = Buffer.from(buf);
      for (let i = 0; i < 1 + rnd(4); i++) if (out.length) out[rnd(out.length)] = rnd(256);
      if (kind === 3) return Buffer.concat([out, Buffer.from('{"x":'.repeat(rnd(50)))]);
      return out;
    };
    const codes = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const body = mutate(seeds[rnd(seeds.length)]);
      const ct = types[rnd(types.length)];
      const isPatch = ct.includes('patch') || ct.includes('apply');
      const r = await raw(isPatch ? 'PATCH' : rnd(2) ? 'POST' : 'PUT', isPatch || rnd(2) ? `${CMS}/target` : CMS, body, { 'content-type': ct, ...(ct.includes('apply') ? {} : {}) });
      codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      expect(r.status, `body ${body.toString('base64')} as ${ct} -> ${r.text}`).toBeLessThan(500);
      if (r.status >= 400) expect(r.json().kind).toBe('Status');
    }
    expect((await raw('GET', CMS)).status).toBe(200);
    expect([...codes.keys()].some((c) => c >= 400)).toBe(true);
  });
});
