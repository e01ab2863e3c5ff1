// Seeded fuzzing of the coordinator's gRPC handlers over real gRPC: whatever a peer sends, each
// call is answered OK, INVALID_ARGUMENT or NOT_FOUND (never INTERNAL or UNKNOWN), the slot table
// stays whole, and a real agent can still join and take every slot afterwards.
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@virtsim/telemetry';
import { fuzz, type Fuzzer } from '@virtsim/testkit/fuzz';
import { waitFor } from '@virtsim/testkit/wait';
import { CoordinatorClient, loadProtos, type Table__Output } from '@virtsim/fleet-proto';
import { startCoordinatorServer, type CoordinatorServer } from './server.ts';

const log = createLogger('coordinator-fuzz');
log.level = 'silent';
const IDS = ['', 'a', 'agent-0', 'agent-1', 'x'.repeat(253), 'x'.repeat(254), 'é', 'a b', '\u0000'];
const ALLOWED = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND]);

type Peer = Record<string, (req: object, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void>;

function slots(f: Fuzzer): number[] {
  return Array.from({ length: f.int(6) }, () => f.pick([0, 1, 1023, 1024, 5000, f.int(1024), 2 ** 32 - 1]));
}

function request(f: Fuzzer): [string, object] {
  const agentId = f.pick(IDS);
  switch (f.int(5)) {
    case 0: return ['join', { agentId, heldSlots: slots(f) }];
    case 1: return ['heartbeat', { agentId }];
    case 2: return ['leave', { agentId }];
    case 3: return ['ackRevoke', { agentId, slots: slots(f) }];
    default: return ['getTable', {}];
  }
}

describe('the coordinator under fuzzed requests', () => {
  let server: CoordinatorServer | undefined;
  afterAll(async () => server?.close());

  it('answers every call with OK, INVALID_ARGUMENT or NOT_FOUND and keeps one owner per slot', async () => {
    server = await startCoordinatorServer({ port: 0, ttlMs: 60_000, settleMs: 0, log, registry: new Registry() });
    const Ctor = loadProtos().fleet.virtsim.fleet.v1.Coordinator;
    const peer = new Ctor(server.address, grpc.credentials.createInsecure()) as unknown as Peer & grpc.Client;
    const call = (method: string, req: object) => new Promise<{ code: grpc.status; res?: unknown }>((resolve) => peer[method]!(req, (err, res) => resolve({ code: err?.code ?? grpc.status.OK, res })));
    const requests: [string, object][] = [];
    fuzz('coordinator requests', 400, 20261205, (f) => void requests.push(request(f)));
    for (const [method, req] of requests) {
      const { code } = await call(method, req);
      expect(ALLOWED.has(code), `${method} ${JSON.stringify(req).slice(0, 200)} -> ${grpc.status[code]}`).toBe(true);
    }
    const table = (await call('getTable', {})).res as Table__Output;
    expect(table.owners).toHaveLength(1024);
    for (const m of table.members) expect(m.agentId.length).toBeLessThanOrEqual(253);
    for (const id of table.owners) if (id) expect(table.members.map((m) => m.agentId)).toContain(id);

    // The fuzzed members leave one by one; a real agent ends up with every slot.
    for (const m of table.members) await call('leave', { agentId: m.agentId });
    peer.close();
    const agent = new CoordinatorClient({ address: server.address, agentId: 'after-fuzz', log, onAssignment: () => undefined });
    await agent.start();
    try {
      await waitFor('the real agent owns every slot', async () => {
        const t = await new Promise<Table__Output>((resolve, reject) => {
          const p = new Ctor(server!.address, grpc.credentials.createInsecure()) as unknown as Peer & grpc.Client;
          p.getTable!({}, (err, res) => (p.close(), err ? reject(err) : resolve(res as Table__Output)));
        });
        return t.owners.every((o) => o === 'after-fuzz');
      }, { timeoutMs: 20_000 });
    } finally {
      await agent.close();
    }
  });
});
