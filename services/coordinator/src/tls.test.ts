import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLogger, createPki, type Pki } from '@virtsim/telemetry';
import { waitFor } from '@virtsim/testkit/wait';
import { CoordinatorClient, type ClientTls } from '@virtsim/fleet-proto';
import { startCoordinatorServer, type CoordinatorServer } from './server.ts';

// Real gRPC over loopback with certificates from a real CA (openssl), as `virtsim up` makes them.

const log = createLogger('coordinator-tls-test');
log.level = 'silent';

/** A logger that keeps the client's warnings, to wait on "cannot join" instead of sleeping. */
function recordingLog() {
  const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  return { warnings, log: { info: () => {}, debug: () => {}, warn: (obj: object, msg?: string) => warnings.push({ obj: obj as Record<string, unknown>, msg }) } };
}

describe('coordinator over mTLS', () => {
  let dir: string;
  let pki: Pki;
  let otherPki: Pki;
  let server: CoordinatorServer | undefined;
  const clients: CoordinatorClient[] = [];
  const read = (p: string) => readFileSync(p);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtsim-coord-tls-'));
    pki = createPki(join(dir, 'pki'));
    pki.issue('coordinator', { hosts: ['127.0.0.1', 'localhost'] });
    pki.issue('agent');
    // A second CA: its certificates look right but the coordinator never signed them.
    otherPki = createPki(join(dir, 'other'));
    otherPki.issue('agent');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server?.close();
    server = undefined;
  });

  const startMtls = async () =>
    (server = await startCoordinatorServer({
      port: 0,
      ttlMs: 2_000,
      settleMs: 0,
      log,
      registry: new Registry(),
      tls: { cert: read(join(pki.dir, 'coordinator.crt')), key: read(join(pki.dir, 'coordinator.key')), ca: read(pki.ca) },
    }));
  const client = (agentId: string, tls: ClientTls | undefined, logger?: ReturnType<typeof recordingLog>['log']) => {
    const c = new CoordinatorClient({ address: server!.address, agentId, tls, retryDelayMs: 50, log: logger });
    clients.push(c);
    return c;
  };
  const validAgent = (): ClientTls => ({ ca: read(pki.ca), cert: read(join(pki.dir, 'agent.crt')), key: read(join(pki.dir, 'agent.key')) });

  it('lets an agent with a certificate from its CA join, and keeps out one without, one from another CA, and plaintext', async () => {
    await startMtls();
    const good = client('good', validAgent());
    await good.start();
    await waitFor('the good agent owns every slot', () => good.assignment.slots.length === 1024);

    const refused: Array<[string, ClientTls | undefined]> = [
      ['no-client-cert', { ca: read(pki.ca) }],
      ['foreign-cert', { ca: read(pki.ca), cert: read(join(otherPki.dir, 'agent.crt')), key: read(join(otherPki.dir, 'agent.key')) }],
      ['plaintext', undefined],
    ];
    for (const [id, tls] of refused) {
      const rec = recordingLog();
      const c = client(id, tls, rec.log);
      void c.start();
      // The client says why it cannot join (once per reason), and keeps trying.
      const warning = await waitFor(`${id}: a "cannot join" warning`, () => rec.warnings.find((w) => w.msg === 'cannot join the coordinator; retrying'));
      expect(String(warning.obj.reason)).toMatch(/UNAVAILABLE|14/);
      // A direct call fails the same way: the handshake never gets to the service.
      await expect(c.getTable()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      expect(c.member).toBe(false);
    }
    // The table never saw them: the good agent is the only member and still owns everything.
    const table = await good.getTable();
    expect(table.members.map((m) => m.agentId)).toEqual(['good']);
    expect(table.owners.every((o) => o === 'good')).toBe(true);
  });

  it('serves plain TLS (no client certificate asked) when given no CA', async () => {
    server = await startCoordinatorServer({
      port: 0,
      ttlMs: 2_000,
      settleMs: 0,
      log,
      registry: new Registry(),
      tls: { cert: read(join(pki.dir, 'coordinator.crt')), key: read(join(pki.dir, 'coordinator.key')) },
    });
    const c = client('tls-only', { ca: read(pki.ca) });
    await c.start();
    await waitFor('it owns every slot', () => c.assignment.slots.length === 1024);
    // The name checked is the one asked for: a name not in the certificate fails.
    const wrongName = client('wrong-name', { ca: read(pki.ca), serverName: 'not-the-coordinator.example' });
    await expect(wrongName.getTable()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});
