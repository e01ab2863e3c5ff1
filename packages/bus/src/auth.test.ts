import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, nkeys } from 'nats';
import { createPki, type Pki } from '@virtsim/telemetry';
import { NatsServer } from '@virtsim/testkit/nats-server';
import { waitFor } from '@virtsim/testkit/wait';
import { readNatsAuth } from './auth.ts';
import { Bus } from './bus.ts';
import type { DecodedEvent, KubeObject } from './envelope.ts';
import { natsServerConfig } from './server-config.ts';
import { slotOf } from './slot.ts';
import { eventSubject } from './subjects.ts';

// A real nats-server with auth and TLS (certificates from a real CA made with openssl).

const NODE = 'virtsim-node-00007';
const pod = (name: string, rv: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', resourceVersion: String(rv) },
  spec: { nodeName: NODE },
});

/**
 * Speaks the NATS protocol by hand, as any client without credentials could: the TLS upgrade after
 * the server's INFO (nats-server 2.9 sends INFO in plaintext first), CONNECT with no credential,
 * SUB virtsim.>, PUB on a slot subject, PING. Resolves with all the server said once it closes
 * the connection (or once it answered the PING, had it let the intruder in).
 */
function intruder(port: number, ca: Buffer, subject: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: '127.0.0.1', port });
    raw.once('error', reject);
    raw.once('data', (info: Buffer) => {
      if (!info.toString().startsWith('INFO ')) return reject(new Error(`expected INFO, got ${info.toString()}`));
      let said = '';
      const tls = tlsConnect({ socket: raw, ca, servername: 'localhost' }, () => {
        tls.write(`CONNECT {"verbose":false,"pedantic":false,"tls_required":true,"name":"intruder"}\r\nSUB virtsim.> 1\r\nPUB ${subject} 5\r\nhello\r\nPING\r\n`);
      });
      tls.on('data', (c: Buffer) => {
        said += c.toString();
        // PONG: the server took everything before it (no auth): done, the assertions will say so.
        if (/^PONG/m.test(said)) tls.destroy();
      });
      tls.once('error', () => {});
      tls.once('close', () => resolve(said));
    });
  });
}

describe('the bus against nats-server with auth and TLS', () => {
  let dir: string;
  let pki: Pki;
  let server: NatsServer;
  const clients: Bus[] = [];
  const token = 'tok-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'virtsim-nats-auth-'));
    pki = createPki(join(dir, 'pki'));
    const leaf = pki.issue('nats', { hosts: ['127.0.0.1', 'localhost'] });
    server = await NatsServer.start({ config: natsServerConfig({ token, tls: { certFile: leaf.cert, keyFile: leaf.key } }) });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries events between a watcher and an agent that have the token and trust the CA', async () => {
    const auth = readNatsAuth({ 'nats-token-file': file('token', token + '\n'), 'nats-tls-ca': pki.ca }, {});
    expect(auth?.mode).toBe('token');
    const watcher = await Bus.connect({ servers: server.url, name: 'watcher', auth });
    const agent = await Bus.connect({ servers: server.url, name: 'agent', auth });
    clients.push(watcher, agent);
    const got: DecodedEvent[] = [];
    agent.subscribeSlots({ onEvent: (e) => got.push(e), onBadMessage: () => {} }).setSlots([slotOf(NODE)]);
    await agent.flush();
    watcher.publish({ type: 'ADDED', kind: 'Pod', node: NODE, object: pod('p', 1), receivedAt: Date.now() });
    await waitFor('the event', () => got.length === 1);
    expect(got[0].object.metadata.name).toBe('p');
  });

  it('refuses a client without the token, with a wrong one, and without TLS', async () => {
    const ca = readFileSync(pki.ca);
    const attempt = (opts: object) => connect({ servers: server.url, reconnect: false, ...opts }).then((nc) => nc.close().then(() => 'connected'), (err: Error) => err.message);
    expect(await attempt({ tls: { ca } })).toMatch(/Authorization Violation/i);
    expect(await attempt({ tls: { ca }, token: 'not-' + token })).toMatch(/Authorization Violation/i);
    // Without our CA the server's certificate is not trusted, token or not.
    expect(await attempt({ token })).toMatch(/certificate|self.signed|issuer/i);
    // TLS is required: a plaintext client is turned away before it can send anything.
    expect(await attempt({ token, tls: null })).toMatch(/tls|secure/i);
  });

  it('lets a client without credentials neither publish nor subscribe on virtsim.>', async () => {
    const auth = readNatsAuth({ 'nats-token-file': file('token2', token), 'nats-tls-ca': pki.ca }, {});
    const member = await Bus.connect({ servers: server.url, name: 'member', auth });
    clients.push(member);
    const seen: string[] = [];
    member.nc.subscribe('virtsim.>', { callback: (_err, m) => seen.push(`${m.subject} ${new TextDecoder().decode(m.data)}`) });
    await member.flush();
    const subject = eventSubject(slotOf(NODE));

    const said = await intruder(server.port, readFileSync(pki.ca), subject);
    expect(said).toMatch(/-ERR 'Authorization Violation'/);
    expect(said).not.toMatch(/^MSG /m);
    expect(said).not.toMatch(/^PONG/m);

    // A member's message after the intruder was cut off arrives, and nothing of the intruder's before it.
    member.nc.publish(subject, new TextEncoder().encode('marker'));
    await waitFor('the marker', () => seen.length > 0);
    expect(seen).toEqual([`${subject} marker`]);
  });

  it('authenticates with a user and password, or an NKey seed, read from files (and the env)', async () => {
    const user = nkeys.createUser();
    const nkeyServer = await NatsServer.start({
      config: natsServerConfig({ users: [{ user: 'fleet', password: 'pw-' + token }], nkeys: [user.getPublicKey()], tls: { certFile: join(pki.dir, 'nats.crt'), keyFile: join(pki.dir, 'nats.key') } }),
    });
    try {
      const pw = readNatsAuth({ 'nats-user': 'fleet', 'nats-tls-ca': pki.ca }, { NATS_PASSWORD_FILE: file('pw', 'pw-' + token) });
      expect(pw?.mode).toBe('user');
      const seed = readNatsAuth({}, { NATS_NKEY: file('seed', new TextDecoder().decode(user.getSeed()) + '\n'), NATS_CA: pki.ca });
      expect(seed?.mode).toBe('nkey');
      for (const auth of [pw, seed]) {
        const b = await Bus.connect({ servers: nkeyServer.url, name: `via-${auth!.mode}`, auth });
        await b.flush();
        await b.close();
      }
      const wrong = readNatsAuth({ 'nats-user': 'fleet', 'nats-password-file': file('pw-bad', 'nope'), 'nats-tls-ca': pki.ca }, {});
      const refused = await connect({ servers: nkeyServer.url, reconnect: false, authenticator: wrong!.authenticator, tls: wrong!.tls }).then(
        (nc) => nc.close().then(() => 'connected'),
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/Authorization Violation/i);
    } finally {
      await nkeyServer.close();
    }
  });

  it('names the flag (or env variable) and the file of a bad setting', () => {
    const missing = join(dir, 'missing');
    expect(() => readNatsAuth({ 'nats-token-file': missing }, {})).toThrow(`--nats-token-file: cannot read ${missing}: no such file`);
    expect(() => readNatsAuth({}, { NATS_TOKEN_FILE: missing })).toThrow(`--nats-token-file (from $NATS_TOKEN_FILE): cannot read ${missing}`);
    expect(() => readNatsAuth({ 'nats-user': 'u' }, {})).toThrow('--nats-user: needs --nats-password-file too');
    expect(() => readNatsAuth({ 'nats-token-file': file('t3', 'x'), 'nats-nkey-file': file('s3', 'SUABC') }, {})).toThrow('--nats-token-file: cannot be combined with --nats-nkey-file');
    expect(() => readNatsAuth({ 'nats-nkey-file': file('s4', 'not-a-seed') }, {})).toThrow(`--nats-nkey-file: ${join(dir, 's4')} does not hold a user NKey seed`);
    expect(() => readNatsAuth({ 'nats-tls-ca': file('ca-bad', 'junk') }, {})).toThrow(`--nats-tls-ca: ${join(dir, 'ca-bad')} is not a PEM certificate`);
    expect(readNatsAuth({}, {})).toBeUndefined();
  });
});
