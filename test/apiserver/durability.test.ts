// `virtsim apiserver --data-dir`: every acknowledged write survives kill -9. Writers create and
// patch ConfigMaps at concurrency; the server is killed at a seeded random moment and restarted on
// the same data dir; every acknowledged object is back with its acknowledged resourceVersion, new
// writes get larger versions, and a watch from before the restart gets 410 Gone. A store damaged
// in the middle stops the start with the file, offset and reason.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { rawClient } from './raw-client.ts';

const dirs: string[] = [];
const servers: ApiServerHarness[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** mulberry32: a small seeded generator, so a failing seed can be rerun. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function start(dataDir: string): Promise<ApiServerHarness> {
  const s = await startApiServerForTest({ dataDir, args: ['--no-audit'] });
  servers.push(s);
  return s;
}

const ct = { 'content-type': 'application/json' };
const merge = { 'content-type': 'application/merge-patch+json' };

interface Acked {
  rv: string;
  /** A later write of it was in flight at the kill: it may have landed. */
  inFlight: boolean;
  deleted: boolean;
}

/** Writers create, patch and delete their own ConfigMaps until the server dies; returns what was acknowledged. */
async function writeUntilKilled(server: ApiServerHarness, random: () => number, killAfterMs: number): Promise<{ acked: Map<string, Acked>; maxRv: number }> {
  const raw = rawClient(server.url, server.caPem, server.token);
  const acked = new Map<string, Acked>();
  let maxRv = 0;
  let dead = false;
  const note = (name: string, rv: string, deleted = false) => {
    acked.set(name, { rv, inFlight: false, deleted });
    maxRv = Math.max(maxRv, Number(rv));
  };
  const writer = async (w: number) => {
    for (let i = 0; !dead; i++) {
      const name = `w${w}-${i}`;
      try {
        const c = await raw('POST', '/api/v1/namespaces/durable/configmaps', JSON.stringify({ metadata: { name }, data: { i: String(i) } }), ct);
        if (c.status !== 201) throw new Error(`create ${name}: ${c.status} ${c.text}`);
        note(name, c.json().metadata.resourceVersion);
        const r = random();
        if (r < 0.5) {
          acked.get(name)!.inFlight = true;
          const p = await raw('PATCH', `/api/v1/namespaces/durable/configmaps/${name}`, JSON.stringify({ data: { patched: 'yes' } }), merge);
          if (p.status !== 200) throw new Error(`patch ${name}: ${p.status} ${p.text}`);
          note(name, p.json().metadata.resourceVersion);
        } else if (r < 0.6) {
          acked.get(name)!.inFlight = true;
          const d = await raw('DELETE', `/api/v1/namespaces/durable/configmaps/${name}`);
          if (d.status !== 200) throw new Error(`delete ${name}: ${d.status} ${d.text}`);
          note(name, d.json().metadata.resourceVersion, true);
        }
      } catch (err) {
        if (dead || server.child!.exitCode !== null || server.child!.signalCode !== null) return;
        throw err;
      }
    }
  };
  const killer = new Promise<void>((resolve) =>
    setTimeout(() => {
      dead = true;
      server.child!.kill('SIGKILL');
      server.child!.once('exit', () => resolve());
    }, killAfterMs),
  );
  await Promise.all([...Array.from({ length: 16 }, (_, w) => writer(w)), killer]);
  return { acked, maxRv };
}

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
      const byName = new Map<string, any>(listed.items.map((o: any) => [o.metadata.name, o]));
      const missing: string[] = [];
      for (const [name, a] of acked) {
        const got = byName.get(name);
        if (a.deleted) {
          if (got) missing.push(`${name}: deleted at ${a.rv} but back at ${got.metadata.resourceVersion}`);
        } else if (!got) {
          if (!a.inFlight) missing.push(`${name}: acknowledged at ${a.rv}, gone`);
        } else if (a.inFlight ? Number(got.metadata.resourceVersion) < Number(a.rv) : got.metadata.resourceVersion !== a.rv) {
          missing.push(`${name}: acknowledged at ${a.rv}, restored at ${got.metadata.resourceVersion}`);
        }
      }
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
