import * as grpc from '@grpc/grpc-js';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLogger } from '@virtsim/telemetry';
import { waitFor } from '@virtsim/testkit/wait';
import { startCoordinatorServer, type CoordinatorServer } from './server.ts';
import { CoordinatorClient, loadProtos, MAX_MESSAGE_BYTES, monotonicNow, type SlotAssignment, type Table__Output } from '@virtsim/fleet-proto';

// Real gRPC over loopback: the coordinator on a free port, agents as CoordinatorClient instances.

const log = createLogger('coordinator-test');
log.level = 'silent';

/**
 * A stand-in agent that "acts" on its slots: it records which slots it acts on, and the test-wide
 * ledger fails the test if two agents ever act on the same slot.
 */
class FakeAgent {
  readonly acting = new Set<number>();
  lost = 0;
  readonly client: CoordinatorClient;
  constructor(id: string, address: string, ledger: Map<number, string>, violations: string[]) {
    this.client = new CoordinatorClient({
      address,
      agentId: id,
      retryDelayMs: 50,
      onLostCoordinator: () => this.lost++,
      onAssignment: (a: SlotAssignment) => {
        const keep = new Set(a.slots);
        // Stop first: revoked and lost slots (this is what makes the acknowledgement safe).
        for (const s of [...this.acting]) {
          if (!keep.has(s)) {
            this.acting.delete(s);
            if (ledger.get(s) === id) ledger.delete(s);
          }
        }
        for (const s of a.slots) {
          const other = ledger.get(s);
          if (other !== undefined && other !== id) violations.push(`slot ${s}: ${id} started while ${other} acts on it`);
          ledger.set(s, id);
          this.acting.add(s);
        }
      },
    });
  }
  /** Stops acting on everything, then leaves (the graceful path). */
  async leave(ledger: Map<number, string>): Promise<void> {
    for (const s of this.acting) if (ledger.get(s) === this.client.agentId) ledger.delete(s);
    this.acting.clear();
    await this.client.leave();
  }
}

/** A loopback TCP proxy that can be cut, to partition one agent from the coordinator. */
async function startProxy(targetPort: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const server: Server = createServer((client) => {
    if (isCut) return void client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('coordinator over gRPC', () => {
  let server: CoordinatorServer | undefined;
  const agents: FakeAgent[] = [];
  const ledger = new Map<number, string>();
  const violations: string[] = [];

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.client.close();
    await server?.close();
    server = undefined;
    ledger.clear();
    violations.length = 0;
  });

  let registry = new Registry();
  const start = async (opts: { ttlMs: number; settleMs?: number; port?: number }) => {
    registry = new Registry();
    return (server = await startCoordinatorServer({ port: opts.port ?? 0, ttlMs: opts.ttlMs, settleMs: opts.settleMs ?? 0, log, registry }));
  };
  const agent = async (id: string) => {
    const a = new FakeAgent(id, server!.address, ledger, violations);
    agents.push(a);
    await a.client.start();
    return a;
  };
  const stable = (members: number) => async (): Promise<Table__Output | undefined> => {
    const t = await agents[0].client.getTable();
    if (t.members.length !== members || t.revoking.length > 0 || t.owners.some((o) => o === '')) return undefined;
    // Every agent acts on exactly the slots the table gives it.
    for (const a of agents) {
      const m = t.members.find((x) => x.agentId === a.client.agentId);
      if (m && (m.slots.length !== a.acting.size || m.slots.some((s) => !a.acting.has(s)))) return undefined;
    }
    return t;
  };

  it('balances 1024 slots over 3 agents; a leaving agent hands over exactly its slots', async () => {
    await start({ ttlMs: 2_000 });
    const [a, b, c] = [await agent('agent-a'), await agent('agent-b'), await agent('agent-c')];
    const t = await waitFor('3 agents with a stable table', stable(3));
    const counts = t.members.map((m) => m.slots.length).sort();
    expect(counts).toEqual([341, 341, 342]);
    expect(new Set(t.owners)).toEqual(new Set(['agent-a', 'agent-b', 'agent-c']));
    expect(a.acting.size + b.acting.size + c.acting.size).toBe(1024);
    // Each join that took slots from a live agent was a revoke/ack rebalance, and was timed.
    const metrics = await registry.metrics();
    expect(Number(/virtsim_coordinator_rebalance_seconds_count (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/virtsim_coordinator_slots\{agent="agent-c"\} 34[12]/);

    const cSlots = [...c.acting];
    const movesBefore = t.moves;
    await c.leave(ledger);
    agents.splice(agents.indexOf(c), 1);
    const t2 = await waitFor('2 agents with a stable table', stable(2));
    expect(t2.members.map((m) => m.slots.length)).toEqual([512, 512]);
    expect(t2.moves - movesBefore).toBe(cSlots.length);
    // a and b kept every slot they had.
    expect(t2.epoch).toBeGreaterThan(t.epoch);
    expect(violations).toEqual([]);
  });

  it("moves a silent agent's slots only after its membership expired", async () => {
    await start({ ttlMs: 800 });
    await agent('agent-a');
    const b = await agent('agent-b');
    await agent('agent-c');
    const t = await waitFor('3 agents with a stable table', stable(3));
    const bSlots = t.members.find((m) => m.agentId === 'agent-b')!.slots;
    // b dies (kill -9: no Leave, no more heartbeats, nothing acted on).
    await b.client.close();
    for (const s of b.acting) ledger.delete(s);
    agents.splice(agents.indexOf(b), 1);
    // No heartbeat of b is in flight any more: this is when its membership expires.
    const expiresAt = server!.fleet.membership.expiresAt('agent-b')!;
    expect(expiresAt).toBeGreaterThan(0);
    // The moment the coordinator gives any of b's slots to someone else.
    let movedAt = 0;
    server!.fleet.onEpoch(() => {
      if (movedAt === 0 && bSlots.some((s) => server!.fleet.table.ownerOf(s) !== 'agent-b')) movedAt = monotonicNow();
    });
    // Meanwhile b is still listed, with all its slots.
    const during = await agents[0].client.getTable();
    if (during.members.some((m) => m.agentId === 'agent-b')) expect(bSlots.every((s) => during.owners[s] === 'agent-b')).toBe(true);
    const t2 = await waitFor('b expired and its slots moved', async () => {
      const t2 = await agents[0].client.getTable();
      return bSlots.every((s) => t2.owners[s] === 'agent-a' || t2.owners[s] === 'agent-c') ? t2 : undefined;
    });
    expect(t2.members.map((m) => m.agentId)).toEqual(['agent-a', 'agent-c']);
    expect(movedAt).toBeGreaterThanOrEqual(expiresAt);
    await waitFor('2 agents with a stable table', stable(2));
    expect(violations).toEqual([]);
  });

  it('a partitioned agent stops acting before anyone else takes its slots', async () => {
    await start({ ttlMs: 800 });
    const proxy = await startProxy(server!.port);
    try {
      await agent('agent-a');
      // b reaches the coordinator only through the proxy.
      const b = new FakeAgent('agent-b', `127.0.0.1:${proxy.port}`, ledger, violations);
      agents.push(b);
      await b.client.start();
      const t = await waitFor('2 agents with a stable table', stable(2));
      const bSlots = t.members.find((m) => m.agentId === 'agent-b')!.slots;
      proxy.cut();
      // b keeps running but cannot heartbeat: it must drop its slots by itself (the ledger
      // records a violation if a takes a slot b still acts on).
      await waitFor('a owns all slots', async () => {
        const t2 = await agents[0].client.getTable();
        return t2.members.length === 1 && bSlots.every((s) => agents[0].acting.has(s));
      });
      expect(b.lost).toBe(1);
      expect(b.acting.size).toBe(0);
      expect(violations).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a restarted coordinator rebuilds the same table from re-joining agents', async () => {
    const first = await start({ ttlMs: 3_000 });
    const port = first.port;
    for (const id of ['agent-a', 'agent-b', 'agent-c']) await agent(id);
    const before = await waitFor('3 agents with a stable table', stable(3));
    await first.close();
    server = undefined;
    await start({ ttlMs: 3_000, settleMs: 3_000, port });
    const after = await waitFor('all 3 agents re-joined', async () => {
      const t = await agents[0].client.getTable().catch(() => undefined);
      return t && t.members.length === 3 && t.owners.every((o) => o !== '') ? t : undefined;
    });
    expect(after.owners).toEqual(before.owners);
    expect(after.moves).toBe(0);
    // Nobody stopped working during the restart.
    expect(agents.map((a) => a.lost)).toEqual([0, 0, 0]);
    expect(agents.map((a) => a.acting.size).reduce((x, y) => x + y, 0)).toBe(1024);
    expect(violations).toEqual([]);
  });

  it('an agent stops acting after a TTL without the coordinator, and resumes after re-joining', async () => {
    const first = await start({ ttlMs: 600 });
    const port = first.port;
    const a = await agent('agent-a');
    await waitFor('a owns every slot', stable(1));
    await first.close();
    server = undefined;
    await waitFor('a lost the coordinator', () => a.lost === 1 && a.acting.size === 0);
    expect(a.client.assignment.lost).toBe(true);
    await start({ ttlMs: 600, settleMs: 600, port });
    await waitFor('a owns every slot again', stable(1));
    expect(violations).toEqual([]);
  });

  it('an agent paused past the TTL (SIGSTOP, a long GC) may not act the moment it wakes, before any timer or answer', async () => {
    await start({ ttlMs: 600 });
    const a = await agent('agent-a');
    await waitFor('a owns every slot', stable(1));
    expect(a.client.mayAct()).toBe(true);
    // The pause itself: the event loop is blocked, as a stopped process's is.
    const until = monotonicNow() + 900;
    while (monotonicNow() < until) {
      // blocked
    }
    // Synchronously, as the first timer that fires on waking would ask before it writes.
    expect(a.client.mayAct()).toBe(false);
    expect(a.lost).toBe(1);
    await waitFor('a re-joined and owns every slot again', async () => (await stable(1)()) && a.client.mayAct());
    expect(violations).toEqual([]);
  });

  it('offers assignments as an async iterator too', async () => {
    await start({ ttlMs: 2_000 });
    const c = new CoordinatorClient({ address: server!.address, agentId: 'iter' });
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const a of c.assignments()) {
        seen.push(a.slots.length);
        if (a.slots.length === 1024) break;
      }
    })();
    await c.start();
    await consumer;
    expect(seen.at(-1)).toBe(1024);
    await c.leave();
  });

  it('rejects a join with an empty agent id or a slot out of range', async () => {
    await start({ ttlMs: 1_000 });
    const c = new CoordinatorClient({ address: server!.address, agentId: 'x' });
    const raw = (c as unknown as { grpcClient: { join: Function } }).grpcClient;
    const join = (req: object) => new Promise<unknown>((resolve) => raw.join(req, (err: Error | null) => resolve(err?.message)));
    expect(await join({ agentId: '' })).toMatch(/JoinRequest.agent_id: must not be empty/);
    expect(await join({ agentId: 'x', heldSlots: [5000] })).toMatch(/JoinRequest.held_slots: 5000 is not a slot \(0..1023\)/);
    await c.close();
  });

  it('refuses messages over 4 MiB and over-long agent ids, and keeps serving', async () => {
    await start({ ttlMs: 1_000 });
    // A client of the same service without our limits, as a misbehaving peer would be.
    const Ctor = loadProtos().fleet.virtsim.fleet.v1.Coordinator;
    const peer = new Ctor(server!.address, grpc.credentials.createInsecure());
    const join = (client: { join: Function }, req: object) =>
      new Promise<{ code?: number; message?: string }>((resolve) => client.join(req, (err: grpc.ServiceError | null) => resolve({ code: err?.code, message: err?.message })));
    const huge = 'a'.repeat(MAX_MESSAGE_BYTES + 1);
    expect(await join(peer, { agentId: huge })).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: expect.stringMatching(/Received message larger than max \(\d+ vs 4194304\)/) });
    expect(await join(peer, { agentId: 'a'.repeat(300) })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      message: '3 INVALID_ARGUMENT: JoinRequest.agent_id: must be at most 253 characters, got 300',
    });
    peer.close();
    // Our own client does not even send it.
    const c = new CoordinatorClient({ address: server!.address, agentId: 'x' });
    const raw = (c as unknown as { grpcClient: { join: Function } }).grpcClient;
    expect(await join(raw, { agentId: huge })).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: expect.stringMatching(/Attempted to send message with a size larger than 4194304/) });
    await c.close();
    const ok = await agent('after-the-big-ones');
    await waitFor('the agent owns every slot', () => ok.acting.size === 1024);
  });
});
