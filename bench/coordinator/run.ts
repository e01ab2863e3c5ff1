// Coordinator benchmark: slots moved per scale step (vs the theoretical minimum), time to a stable
// table with 64 agents over real gRPC, and Join / Heartbeat call rates.
//   node_modules/.bin/node bench/coordinator/run.ts [--agents 64] [--seconds 2]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@virtsim/telemetry';
import { SlotTable, startCoordinatorServer, type CoordinatorServer } from '@virtsim/coordinator';
import { CoordinatorClient, loadProtos } from '@virtsim/fleet-proto';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '64' }, seconds: { type: 'string', default: '2' } } });
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);
const log = createLogger('bench-coordinator');
log.level = 'silent';

function line(label: string, value: string) {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

// 1. Moves per scale step, pure table logic (the same code the server runs).
function scaleSteps() {
  process.stdout.write('\n# slots moved per scale step (1024 slots)\n');
  const table = new SlotTable(1024);
  const settle = (members: string[]) => {
    const before = table.moves;
    for (let i = 0; i < 10; i++) {
      const r = table.rebalance(members);
      if (r.assigned.length === 0 && r.revoked.length === 0 && table.revokingSlots().length === 0) break;
      for (const m of members) table.acknowledgeRevoke(m, table.revokingSlotsOf(m));
    }
    return table.moves - before;
  };
  const ids = (k: number) => Array.from({ length: k }, (_, i) => `agent-${i}`);
  settle(ids(1));
  let totalMoved = 0;
  let totalMin = 0;
  let current = 1;
  for (const k of [2, 3, 4, 3, 2, 8, 16, 64, 65, 64]) {
    let min: number;
    if (k > current) {
      // Joining agents must receive at least floor(1024/k) slots each.
      min = (k - current) * Math.floor(1024 / k);
    } else {
      min = 0;
      for (const id of ids(current).slice(k)) {
        min += table.ownedCount(id);
        table.releaseAll(id);
      }
    }
    const moved = settle(ids(k));
    totalMoved += moved;
    totalMin += min;
    line(`  ${current} -> ${k} agents: moved / theoretical minimum`, `${moved} / ${min}`);
    current = k;
  }
  line('  total moved / total minimum', `${totalMoved} / ${totalMin}`);
}

// 2. Real gRPC: agents join, and the time until the table is stable and every agent acts on it.
async function rebalanceOverGrpc(server: CoordinatorServer) {
  process.stdout.write(`\n# rebalance over gRPC with ${AGENTS} agents (one process, loopback)\n`);
  const clients: CoordinatorClient[] = [];
  const acting = new Map<string, Set<number>>();
  const newClient = (id: string) => {
    const set = new Set<number>();
    acting.set(id, set);
    return new CoordinatorClient({
      address: server.address,
      agentId: id,
      onAssignment: (a) => {
        set.clear();
        for (const s of a.slots) set.add(s);
      },
    });
  };
  const stable = () => {
    const t = server.fleet.table;
    if (t.revokingSlots().length > 0 || t.unownedCount() > 0) return false;
    for (const id of server.fleet.membership.ids()) {
      const mine = acting.get(id);
      if (!mine || mine.size !== t.activeSlotsOf(id).length) return false;
    }
    return true;
  };
  const waitStable = async () => {
    while (!stable()) await new Promise((r) => setTimeout(r, 2));
  };
  const epoch0 = server.fleet.epoch;
  let t0 = performance.now();
  for (let i = 0; i < AGENTS; i++) clients.push(newClient(`agent-${String(i).padStart(3, '0')}`));
  await Promise.all(clients.map((c) => c.start()));
  await waitStable();
  line(`  0 -> ${AGENTS} agents (all join at once): time to stable table`, `${(performance.now() - t0).toFixed(0)} ms, ${server.fleet.epoch - epoch0} epochs`);

  let moves = server.fleet.table.moves;
  let epoch = server.fleet.epoch;
  t0 = performance.now();
  const extra = newClient('agent-new');
  clients.push(extra);
  await extra.start();
  await waitStable();
  line(`  ${AGENTS} -> ${AGENTS + 1} agents: time to stable table, slots moved`, `${(performance.now() - t0).toFixed(1)} ms, ${server.fleet.table.moves - moves} moved (min ${Math.floor(1024 / (AGENTS + 1))}), ${server.fleet.epoch - epoch} epochs`);

  moves = server.fleet.table.moves;
  epoch = server.fleet.epoch;
  const leaving = clients.shift()!;
  const leavingSlots = server.fleet.table.ownedCount(leaving.agentId);
  t0 = performance.now();
  acting.delete(leaving.agentId);
  await leaving.leave();
  await waitStable();
  line(`  ${AGENTS + 1} -> ${AGENTS} agents (graceful leave): time to stable table`, `${(performance.now() - t0).toFixed(1)} ms, ${server.fleet.table.moves - moves} moved (min ${leavingSlots}), ${server.fleet.epoch - epoch} epochs`);
  await Promise.all(clients.map((c) => c.leave()));
}

// 3. Call rates against the real `virtsim coordinator` process, from raw gRPC clients in this one.
async function startCoordinatorProcess(): Promise<{ address: string; stop(): Promise<void> }> {
  const cli = fileURLToPath(new URL('../../packages/cli/bin/virtsim.ts', import.meta.url));
  const child = spawn(process.execPath, [cli, 'coordinator', '--port', '0', '--metrics-port', '0', '--settle-ms', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Read the port from the ready line; keep draining stdout (a log line per epoch) afterwards.
  let buf: string | null = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      if (buf === null) return;
      buf += c.toString();
      const m = /"grpcPort":(\d+)/.exec(buf);
      if (m) {
        buf = null;
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`coordinator exited (${code}) before it was ready`)));
  });
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function callRates() {
  const coordinator = await startCoordinatorProcess();
  process.stdout.write(`\n# call rates against the virtsim coordinator process (${SECONDS} s each, 32 concurrent callers)\n`);
  const Ctor = loadProtos().fleet.virtsim.fleet.v1.Coordinator;
  const channels = Array.from({ length: 8 }, () => new Ctor(coordinator.address, grpc.credentials.createInsecure()));
  const call = (i: number, method: 'join' | 'heartbeat', agentId: string) =>
    new Promise<void>((resolve, reject) =>
      (channels[i % channels.length][method] as Function)({ agentId, heldSlots: [] }, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  // The first round warms up both processes (JIT, connections); the later rounds are reported.
  for (const [round, method] of [[0, 'heartbeat'], [1, 'heartbeat'], [1, 'join']] as const) {
    // Heartbeats from 64 known members; joins re-join the same 64 agents (each one a table operation).
    for (let i = 0; i < 64; i++) await call(i, 'join', `rate-${i}`);
    let n = 0;
    const deadline = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        for (let j = 0; performance.now() < deadline; j++) {
          await call(w, method, `rate-${(w + j * 32) % 64}`);
          n++;
        }
      }),
    );
    if (round === 0) continue;
    line(`  ${method === 'join' ? 'Join (re-join of 64 members)' : 'Heartbeat'}`, `${Math.round(n / SECONDS)} calls/s`);
  }
  for (const c of channels) c.close();
  await coordinator.stop();
}

scaleSteps();
const server = await startCoordinatorServer({ port: 0, ttlMs: 10_000, settleMs: 0, log, registry: new Registry() });
try {
  await rebalanceOverGrpc(server);
} finally {
  await server.close();
}
await callRates();
process.stdout.write(`\nnode ${process.version}, ${(await import('node:os')).cpus().length} CPUs\n`);
