// The kill -9 workload shared by durability.test.ts and bench/apiserver/durability-soak.ts:
// 16 writers create, patch and delete their own ConfigMaps in namespace "durable" until the server
// is killed at a chosen moment; then what a restarted server must still hold is checked.
import type { ApiServerHarness } from '@virtsim/testkit/apiserver';
import { rawClient } from './raw-client.ts';

/** mulberry32: a small seeded generator, so a failing seed can be rerun. */
export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Acked {
  rv: string;
  /** A later write of it was in flight at the kill: it may have landed. */
  inFlight: boolean;
  deleted: boolean;
}

const ct = { 'content-type': 'application/json' };
const merge = { 'content-type': 'application/merge-patch+json' };

/** Writers create, patch and delete their own ConfigMaps until the server dies; returns what was acknowledged. */
export async function writeUntilKilled(server: ApiServerHarness, random: () => number, killAfterMs: number, prefix = ''): Promise<{ acked: Map<string, Acked>; maxRv: number }> {
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
      const name = `${prefix}w${w}-${i}`;
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


/** What a restart lost: acknowledged objects gone or at another resourceVersion, deleted ones back. */
export function lostWrites(acked: Map<string, Acked>, items: any[]): string[] {
  const byName = new Map<string, any>(items.map((o: any) => [o.metadata.name, o]));
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
  return missing;
}
