// `virtsim apiserver --data-dir`: every acknowledged write survives kill -9. Writers create and
// patch ConfigMaps at concurrency; the server is killed at a seeded random moment and restarted on
// the same data dir; every acknowledged object is back with its acknowledged resourceVersion, new
// writes get larger versions, and a watch from before the restart gets 410 Gone. A store damaged
// in the middle stops the start with the file, offset and reason. A full disk (a file size limit,
// `ulimit -f`, which fails writes with EFBIG as ENOSPC would) fails writes with 507 while reads go on.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { lostWrites, rng, writeUntilKilled } from './kill-nine.ts';
import { rawClient } from './raw-client.ts';

const dirs: string[] = [];
const servers: ApiServerHarness[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<ApiServerHarness> {
  const s = await startApiServerForTest({ dataDir, args: ['--no-audit'] });
  servers.push(s);
  return s;
}

const ct = { 'content-type': 'application/json' };

describe('kill -9', () => {
  it('keeps every acknowledged write, with its resourceVersion, for several seeded kill moments', async () => {
    for (const seed of [11, 42, 2026]) {
      const random = rng(seed);
      const dataDir = mkdtempSync(join(tmpdir(), `virtsim-durability-${seed}-`));
      dirs.push(dataDir);
      const first = await start(dataDir);
      const raw1 = rawClient(first.url, first.caPem, first.token);
      expect((await raw1('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'durable' } }), ct)).status).toBe(201);
      const killAfterMs = 300 + Math.floor(random() * 900);
      const { acked, maxRv } = await writeUntilKilled(first, random, killAfterMs);
      expect(acked.size, `seed ${seed}: writes acknowledged before the kill at ${killAfterMs} ms`).toBeGreaterThan(20);

      const second = await start(dataDir);
      const raw2 = rawClient(second.url, second.caPem, second.token);
      const listed = (await raw2('GET', '/api/v1/namespaces/durable/configmaps')).json();
      const missing = lostWrites(acked, listed.items);
      expect(missing, `seed ${seed}, killed after ${killAfterMs} ms`).toEqual([]);
      expect(Number(listed.metadata.resourceVersion)).toBeGreaterThanOrEqual(maxRv);
      const next = (await raw2('POST', '/api/v1/namespaces/durable/configmaps', JSON.stringify({ metadata: { name: 'after-restart' } }), ct)).json();
      expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(maxRv);
      // The watch window starts at the restored version: an older one is 410 Gone, never a silent gap.
      const w = await raw2('GET', `/api/v1/namespaces/durable/configmaps?watch=true&resourceVersion=${Math.max(1, maxRv - 5)}&timeoutSeconds=1`);
      expect(w.text).toContain('"code":410');
      await second.stop();
    }
  }, 120_000);
});

describe('watch with --durability fsync', () => {
  it('sends every acknowledged write once, in resourceVersion order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-durability-watch-'));
    dirs.push(dataDir);
    const server = await start(dataDir);
    const raw = rawClient(server.url, server.caPem, server.token);
    const rv0 = (await raw('GET', '/api/v1/namespaces/default/configmaps')).json().metadata.resourceVersion;
    const u = new URL(server.url);
    const lines: any[] = [];
    const req = httpsRequest({ host: u.hostname, port: u.port, path: `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv0}`, ca: server.caPem, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        const parts = (rest + c).split('\n');
        rest = parts.pop()!;
        for (const l of parts) if (l) lines.push(JSON.parse(l));
      });
    });
    req.on('error', () => {});
    req.end();
    try {
      const acked = new Map<string, string>();
      await Promise.all(Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 10; i++) {
          const r = await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: `w-${w}-${i}` } }), ct);
          expect(r.status).toBe(201);
          acked.set(`w-${w}-${i}`, r.json().metadata.resourceVersion);
        }
      }));
      await waitFor('an event for each of the 160 writes', () => lines.length >= 160, { timeoutMs: 20_000 });
      expect(lines.map((l) => l.type)).toEqual(Array(160).fill('ADDED'));
      const rvs = lines.map((l) => Number(l.object.metadata.resourceVersion));
      expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
      expect(new Map(lines.map((l) => [l.object.metadata.name, l.object.metadata.resourceVersion]))).toEqual(acked);
      // Each group commit is timed (etcd's WAL fsync histogram), and 16 writers share them.
      const metrics = (await raw('GET', '/metrics')).text;
      const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
      const fsyncs = value(/^apiserver_storage_fsyncs_total(?:\{[^}]*\})? (\d+)$/m);
      expect(fsyncs).toBeGreaterThan(0);
      expect(fsyncs).toBeLessThan(160);
      expect(value(/^apiserver_storage_fsync_duration_seconds_count(?:\{[^}]*\})? (\d+)$/m)).toBe(fsyncs);
    } finally {
      req.destroy();
    }
  }, 60_000);
});

describe('a damaged store', () => {
  it('stops the start with the file, offset and reason when a record in the middle is damaged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-durability-damaged-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const raw = rawClient(first.url, first.caPem, first.token);
    for (let i = 0; i < 20; i++)
      expect((await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: `c${i}` }, data: { i: String(i) } }), ct)).status).toBe(201);
    first.child!.kill('SIGKILL');
    await new Promise((r) => first.child!.once('exit', r));
    const store = join(dataDir, 'store');
    const log = join(store, readdirSync(store).find((f) => f.endsWith('.wal'))!);
    const bytes = readFileSync(log);
    const at = bytes.indexOf('"c10"');
    bytes[at + 2] ^= 0x02;
    writeFileSync(log, bytes);
    const failed = await startApiServerForTest({ dataDir, args: ['--no-audit'] }).then(
      (s) => {
        servers.push(s);
        return '';
      },
      (err: Error) => err.message,
    );
    expect(failed).toMatch(new RegExp(`${log}: damaged at offset \\d+: checksum mismatch, and valid records follow it`));
  }, 60_000);
});

describe('a full disk', () => {
  it('fails the write with 507 and a log line, applies nothing, keeps serving reads, and loses no acknowledged write', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'virtsim-durability-full-'));
    dirs.push(dataDir);
    const kubeconfig = join(dataDir, 'kubeconfig');
    const cli = join(import.meta.dirname, '../../packages/cli/bin/virtsim.ts');
    // 1 MiB per file: the bootstrap objects (RBAC roles, CRDs) take ~100 KiB of the log, which
    // then fills after some 28 ConfigMaps of 32 KiB.
    const child = spawn('bash', ['-c', 'ulimit -f 1024; exec "$@"', 'bash', process.execPath, '--disable-warning=ExperimentalWarning', cli, 'apiserver', '--port', '0', '--data-dir', dataDir, '--kubeconfig-out', kubeconfig, '--no-audit', '--exit-with-parent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /"msg":"apiserver listening"/.test(out) && /"url":"([^"]+)"/.exec(out.slice(out.indexOf('"apiserver listening"') - 300));
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`apiserver exited with ${code}: ${out}`)));
    });
    try {
      const kc = readFileSync(kubeconfig, 'utf8');
      const raw = rawClient(url, Buffer.from(/certificate-authority-data: (\S+)/.exec(kc)![1], 'base64').toString(), /token: (\S+)/.exec(kc)![1]);
      const acked: string[] = [];
      let refused: { status: number; json: any; name: string } | undefined;
      for (let i = 0; i < 100 && !refused; i++) {
        const name = `big-${i}`;
        const r = await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name }, data: { blob: 'x'.repeat(32 * 1024) } }), ct);
        if (r.status === 201) acked.push(name);
        else refused = { status: r.status, json: r.json(), name };
      }
      expect(refused?.status, out.slice(-2000)).toBe(507);
      expect(refused!.json).toMatchObject({ kind: 'Status', code: 507, reason: 'InternalError' });
      expect(refused!.json.message).toContain('the write was not applied');
      await waitFor('the log line of the refused write', () => out.includes('store write failed; the write was refused'), { timeoutMs: 10_000 });
      // reads go on, and the refused object was not applied
      expect((await raw('GET', `/api/v1/namespaces/default/configmaps/${refused!.name}`)).status).toBe(404);
      const list = (await raw('GET', '/api/v1/namespaces/default/configmaps')).json();
      expect(list.items.map((o: any) => o.metadata.name).filter((n: string) => n.startsWith('big-'))).toEqual([...acked].sort());
      expect(acked.length).toBeGreaterThan(3);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // with room again, every acknowledged write is there
      const again = await start(dataDir);
      const raw2 = rawClient(again.url, again.caPem, again.token);
      const names = (await raw2('GET', '/api/v1/namespaces/default/configmaps')).json().items.map((o: any) => o.metadata.name);
      expect(names.filter((n: string) => n.startsWith('big-'))).toEqual([...acked].sort());
      expect((await raw2('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: refused!.name } }), ct)).status).toBe(201);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
