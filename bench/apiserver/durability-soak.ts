/**
 * Durability soak (many rounds of what test/apiserver/durability.test.ts does a few times): each
 * round starts `virtsim apiserver` on a fresh data dir (or keeps one across rounds with --same-dir),
 * writes ConfigMaps at concurrency 16, kill -9s the server at a seeded random moment, restarts it
 * and checks that every acknowledged write is there with its acknowledged resourceVersion.
 * Exits 1 on the first lost write (printing the seed to rerun it).
 * Usage: node_modules/.bin/node bench/apiserver/durability-soak.ts [--rounds 50] [--seed 1] [--durability fsync|batch|none] [--same-dir]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServerForTest } from '@virtsim/testkit/apiserver';
import { lostWrites, rng, writeUntilKilled } from '../../test/apiserver/kill-nine.ts';
import { rawClient } from '../../test/apiserver/raw-client.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '50' }, seed: { type: 'string', default: '1' }, durability: { type: 'string', default: 'fsync' }, 'same-dir': { type: 'boolean', default: false } } });
const ROUNDS = Number(values.rounds);
const FIRST_SEED = Number(values.seed);
const args = ['--no-audit', '--durability', values.durability!];
const ct = { 'content-type': 'application/json' };
let shared: string | undefined;
let writes = 0;
for (let round = 0; round < ROUNDS; round++) {
  const seed = FIRST_SEED + round;
  const random = rng(seed);
  const dataDir = values['same-dir'] ? (shared ??= mkdtempSync(join(tmpdir(), 'virtsim-soak-'))) : mkdtempSync(join(tmpdir(), 'virtsim-soak-'));
  const first = await startApiServerForTest({ dataDir, args });
  const raw1 = rawClient(first.url, first.caPem, first.token);
  const ns = await raw1('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'durable' } }), ct);
  if (ns.status !== 201 && ns.status !== 409) throw new Error(`namespace: ${ns.status} ${ns.text}`);
  const killAfterMs = 200 + Math.floor(random() * 1800);
  const { acked, maxRv } = await writeUntilKilled(first, random, killAfterMs, `r${round}-`);
  await first.stop();
  const t0 = performance.now();
  const second = await startApiServerForTest({ dataDir, args });
  const restartMs = performance.now() - t0;
  const raw2 = rawClient(second.url, second.caPem, second.token);
  const listed = (await raw2('GET', '/api/v1/namespaces/durable/configmaps')).json();
  const lost = lostWrites(acked, listed.items);
  if (Number(listed.metadata.resourceVersion) < maxRv) lost.push(`resourceVersion went back: ${listed.metadata.resourceVersion} < ${maxRv}`);
  await second.stop();
  if (!values['same-dir']) rmSync(dataDir, { recursive: true, force: true });
  writes += acked.size;
  console.log(`round ${round + 1}/${ROUNDS} seed ${seed}: killed after ${killAfterMs} ms, ${acked.size} objects acknowledged, restart ${restartMs.toFixed(0)} ms, ${lost.length ? `LOST ${lost.length}` : 'nothing lost'}`);
  if (lost.length) {
    console.log(lost.slice(0, 20).join('\n'));
    process.exit(1);
  }
}
if (shared) rmSync(shared, { recursive: true, force: true });
console.log(`${ROUNDS} rounds, ${writes} acknowledged objects checked, nothing lost`);
