// The Writer's retries against a real HTTP server that keeps objects by name and can lose the
// answer to a write it applied (as a real API server does when it times out after etcd committed
// it): the retry then meets the write's own result, which is success, not an error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '@virtsim/apimachinery';
import pino from 'pino';
import { KubeClient } from './client.ts';
import { Writer } from './writer.ts';

/** What the server does with the next write to an object: apply it and lose the answer, refuse it, or serve it. */
type Step = 'apply-then-hangup' | 'apply-then-504' | '429' | '500-not-applied' | 'serve';

let server: http.Server;
let client: KubeClient;
const objects = new Map<string, unknown>();
/** Per object name, the steps of its next writes (then 'serve'). */
const script = new Map<string, Step[]>();
const attempts = new Map<string, number>();

const status = (code: number, reason: string, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

function answer(res: http.ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(body);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url!.split('?')[0]!;
      const obj = req.method === 'POST' ? (JSON.parse(Buffer.concat(chunks).toString()) as { metadata: { name?: string; generateName?: string } }) : undefined;
      // A generateName create is scripted and counted by its prefix, and gets a fresh name each time.
      const scripted = obj?.metadata.name ?? obj?.metadata.generateName ?? path.split('/').at(-1)!;
      attempts.set(scripted, (attempts.get(scripted) ?? 0) + 1);
      const step = script.get(scripted)?.shift() ?? 'serve';
      if (obj && !obj.metadata.name) obj.metadata.name = `${obj.metadata.generateName}${attempts.get(scripted)}`;
      const name = obj?.metadata.name ?? scripted;
      if (step === '429') return answer(res, 429, status(429, 'TooManyRequests', 'slow down'));
      if (step === '500-not-applied') return answer(res, 500, status(500, 'InternalError', 'Internal error occurred'));
      // Served: kube-apiserver's create and delete semantics.
      let code: number;
      let body: string;
      if (req.method === 'POST' && objects.has(name)) [code, body] = [409, status(409, 'AlreadyExists', `configmaps "${name}" already exists`)];
      else if (req.method === 'POST') [code, body] = [201, JSON.stringify(objects.set(name, obj).get(name))];
      else if (req.method === 'DELETE' && !objects.has(name)) [code, body] = [404, status(404, 'NotFound', `configmaps "${name}" not found`)];
      else [code, body] = [200, JSON.stringify(objects.get(name))];
      if (req.method === 'DELETE') objects.delete(name);
      if (step === 'apply-then-hangup') res.socket?.destroy();
      else if (step === 'apply-then-504') answer(res, 504, status(504, 'Timeout', 'Timeout: request did not complete within requested timeout - context deadline exceeded'));
      else answer(res, code, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  client = await KubeClient.fromKubeConfig(kc);
});

afterAll(async () => {
  client?.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const writer = () => new Writer(client, { log: pino({ level: 'silent' }) });
const create = (name: string) =>
  writer().write({ key: `default/${name}`, resource: 'configmaps', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } } });
const generated = (prefix: string) => [...objects.keys()].filter((k) => k.startsWith(prefix));
const createGenerated = (prefix: string, find?: () => Promise<unknown>) =>
  writer().write({ key: `default/${prefix}`, resource: 'configmaps', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: prefix } }, find });
const findGenerated = (prefix: string) => async () => objects.get(generated(prefix)[0] ?? '');
const del = (name: string) => writer().write({ key: `default/${name}`, resource: 'configmaps', method: 'DELETE', path: `/api/v1/namespaces/default/configmaps/${name}` });

describe('Writer retrying a write whose answer was lost', () => {
  it('takes the 409 AlreadyExists of a create retried after a hang-up or a 504 as created, once', async () => {
    script.set('lost-hangup', ['apply-then-hangup']);
    script.set('lost-504', ['apply-then-504']);
    script.set('lost-after-429', ['429', 'apply-then-504']);
    expect(await create('lost-hangup')).toEqual({ outcome: 'exists' });
    expect(await create('lost-504')).toEqual({ outcome: 'exists' });
    expect(await create('lost-after-429')).toEqual({ outcome: 'exists' });
    expect([attempts.get('lost-hangup'), attempts.get('lost-504'), attempts.get('lost-after-429')]).toEqual([2, 2, 3]);
    expect(objects.has('lost-hangup') && objects.has('lost-504') && objects.has('lost-after-429')).toBe(true);
  });

  it('still throws the 409 AlreadyExists of a create no earlier attempt can have made', async () => {
    objects.set('there-before', {});
    const first = await create('there-before').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(StatusError);
    expect(first).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    // A 429 is a refusal before anything was done: the retry's 409 is someone else's object.
    objects.set('throttled-then-there', {});
    script.set('throttled-then-there', ['429']);
    expect(await create('throttled-then-there').catch((e: unknown) => e)).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect(attempts.get('throttled-then-there')).toBe(2);
  });

  it('answers a create that went through after a refused attempt with the object', async () => {
    script.set('after-500', ['500-not-applied']);
    expect(await create('after-500')).toMatchObject({ outcome: 'done', body: { metadata: { name: 'after-500' } } });
  });

  it("takes the 404 of a delete retried after its answer was lost as gone, once", async () => {
    objects.set('del-lost', {});
    script.set('del-lost', ['apply-then-504']);
    expect(await del('del-lost')).toEqual({ outcome: 'gone' });
    expect(attempts.get('del-lost')).toBe(2);
    expect(objects.has('del-lost')).toBe(false);
  });

  it('adopts the object a generateName create made before its answer was lost, instead of making a second', async () => {
    script.set('gen-lost-', ['apply-then-504']);
    script.set('gen-hangup-', ['429', 'apply-then-hangup']);
    expect(await createGenerated('gen-lost-', findGenerated('gen-lost-'))).toEqual({ outcome: 'exists', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-lost-', name: 'gen-lost-1' } } });
    expect(await createGenerated('gen-hangup-', findGenerated('gen-hangup-'))).toMatchObject({ outcome: 'exists', body: { metadata: { name: 'gen-hangup-2' } } });
    expect([attempts.get('gen-lost-'), attempts.get('gen-hangup-')]).toEqual([1, 2]);
    expect([generated('gen-lost-'), generated('gen-hangup-')]).toEqual([['gen-lost-1'], ['gen-hangup-2']]);
  });

  it('creates a generateName object again when find() shows the failed attempt made nothing, and asks find() again when it fails', async () => {
    script.set('gen-refused-', ['500-not-applied', '500-not-applied']);
    let asked = 0;
    const flaky = async () => {
      if (asked++ === 0) throw Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' });
      return findGenerated('gen-refused-')();
    };
    expect(await createGenerated('gen-refused-', flaky)).toMatchObject({ outcome: 'done', body: { metadata: { name: 'gen-refused-3' } } });
    expect(asked).toBe(3);
    expect(generated('gen-refused-')).toEqual(['gen-refused-3']);
  });

  it('does not retry a generateName create without find() after an attempt that may have made it: the failure is thrown', async () => {
    script.set('gen-blind-', ['apply-then-504']);
    expect(await createGenerated('gen-blind-').catch((e: unknown) => e)).toMatchObject({ code: 504 });
    expect(attempts.get('gen-blind-')).toBe(1);
    expect(generated('gen-blind-')).toEqual(['gen-blind-1']);
    // A refusal before anything was done (429) is still retried.
    script.set('gen-throttled-', ['429']);
    expect(await createGenerated('gen-throttled-')).toMatchObject({ outcome: 'done' });
  });
});
