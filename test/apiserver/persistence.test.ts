// `virtsim apiserver --data-dir`: a clean stop (SIGTERM) saves every object; the next start serves
// them again, with the same CA (old kubeconfigs keep working) and resourceVersions that go on
// increasing. SIGTERM ends the process with code 0.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { rawClient } from './raw-client.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-apiserver-data-'));
let second: ApiServerHarness | undefined;

afterAll(async () => {
  await second?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('state across a clean restart', () => {
  it('keeps objects, CRDs and the CA, and stops with exit code 0 on SIGTERM', async () => {
    const first = await startApiServerForTest({ dataDir, args: ['--no-audit'] });
    const raw = rawClient(first.url, first.caPem, first.token);
    const ct = { 'content-type': 'application/json' };
    expect((await raw('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'kept' } }), ct)).status).toBe(201);
    const cm = (await raw('POST', '/api/v1/namespaces/kept/configmaps', JSON.stringify({ metadata: { name: 'c', labels: { a: 'b' } }, data: { k: 'v' } }), ct)).json();
    const crd = await first.kubectl(['apply', '--server-side', '-f', fileURLToPath(new URL('../../deploy/crds/kwok.x-k8s.io_stages.yaml', import.meta.url))]);
    expect(crd.code, crd.stderr).toBe(0);
    const exit = new Promise<number | null>((r) => first.child!.once('exit', (code) => r(code)));
    first.child!.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(first.logs()).toContain('apiserver state saved');

    second = await startApiServerForTest({ dataDir, args: ['--no-audit'] });
    expect(second.caPem).toBe(first.caPem);
    const raw2 = rawClient(second.url, second.caPem, second.token);
    const again = (await raw2('GET', '/api/v1/namespaces/kept/configmaps/c')).json();
    expect(again.data).toEqual({ k: 'v' });
    expect(again.metadata.uid).toBe(cm.metadata.uid);
    expect(again.metadata.resourceVersion).toBe(cm.metadata.resourceVersion);
    const stages = await second.kubectl(['get', 'stages.kwok.x-k8s.io', '-A']);
    expect(stages.code, stages.stderr).toBe(0);
    const next = (await raw2('POST', '/api/v1/namespaces/kept/configmaps', JSON.stringify({ metadata: { name: 'd' } }), ct)).json();
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(Number(cm.metadata.resourceVersion));
    // only one copy of each default namespace
    const nss = (await raw2('GET', '/api/v1/namespaces')).json().items.map((n: any) => n.metadata.name);
    expect(nss.filter((n: string) => n === 'default')).toHaveLength(1);
    await first.stop();
  });
});
