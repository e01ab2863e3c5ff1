import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { NatsServer } from '@virtsim/testkit/nats-server';
import { waitFor } from '@virtsim/testkit/wait';
import { SLOT_COUNT, fnv1a32, slotOf } from './slot.ts';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    // From the FNV reference test suite (Fowler/Noll/Vo): "", "a", "foobar".
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('rejects an empty node name with a clear error', () => {
    expect(() => slotOf('')).toThrow(/node name must be a non-empty string/);
  });
});

// The real proof: nats-server 2.9's own partition() subject mapping, computed by the server.
describe('slotOf equals nats-server partition(1024)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await NatsServer.start({
      config: `mappings = { "virtsim.node.*": "virtsim.partitioned.{{partition(${SLOT_COUNT},1)}}.{{wildcard(1)}}" }\n`,
    });
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
  });

  it('maps 3,000 node names to the same slot the server computes', async () => {
    const names = [
      ...Array.from({ length: 2_000 }, (_, i) => `virtsim-node-${String(i).padStart(5, '0')}`),
      ...Array.from({ length: 990 }, (_, i) => `kwok-node-${i}`),
      'ip-10-0-12-7', 'worker_03', 'node-ü-1', 'n', 'UPPER-case-Node', 'x'.repeat(200), 'a-b-c-d-e-f-g', '0', '9999', 'virtsim',
    ];
    const serverSlot = new Map<string, number>();
    const sub = nc.subscribe('virtsim.partitioned.>', {
      callback: (_err, m) => {
        const [, , slot, name] = m.subject.split('.');
        serverSlot.set(name, Number(slot));
      },
    });
    await nc.flush();
    for (const name of names) nc.publish(`virtsim.node.${name}`);
    await waitFor('every mapped message', () => serverSlot.size === names.length);
    sub.unsubscribe();
    const mismatches = names.filter((n) => serverSlot.get(n) !== slotOf(n));
    expect(mismatches).toEqual([]);
    // The names spread over many slots (not a degenerate mapping that trivially agrees).
    expect(new Set(serverSlot.values()).size).toBeGreaterThan(900);
  });
});
