// Seeded fuzzing of the event decoder: a message on virtsim.ev.* is what anyone with publish
// rights can send, so whatever its subject, headers and body, the decoder returns an event or
// throws a BusDecodeError naming the subject and reason, never anything else.
import { headers as natsHeaders } from 'nats';
import { describe, expect, it } from 'vitest';
import { fuzz, type Fuzzer } from '@virtsim/testkit/fuzz';
import { BusDecodeError, decodeEvent, encodeEvent, HEADER } from './envelope.ts';

const good = encodeEvent({
  kind: 'VirtualMachineInstance',
  type: 'MODIFIED',
  node: 'virtsim-node-1',
  receivedAt: 1_700_000_000_000,
  object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vmi-1', namespace: 'default', resourceVersion: '42' }, status: { phase: 'Running' } },
});
const goodBody = new TextDecoder().decode(good.data);
const HEADER_NAMES = Object.values(HEADER);
const VALUES = ['', 'MODIFIED', 'BOGUS', '42', '-1', 'NaN', 'virtsim-node-1', 'virtsim-node-2', 'x'.repeat(300), '\u00e9', 'VirtualMachineInstance'];
const BODIES = [goodBody, '', 'null', '[]', '{}', '{"metadata":null}', '{"metadata":{"name":""}}', '{"metadata":{"name":"x","resourceVersion":"42"}}', '{', '\xff\xfe', goodBody.replace('"42"', '"43"')];

function message(f: Fuzzer) {
  const h = natsHeaders();
  for (const [k, v] of good.headers) if (f.random() < 0.85) h.set(k, v[0]!);
  for (let n = f.int(3); n > 0; n--) h.set(f.pick(HEADER_NAMES), f.pick(VALUES));
  let body = f.pick(BODIES);
  if (f.random() < 0.3) {
    const at = f.int(body.length + 1);
    body = body.slice(0, at) + f.pick(['"', '}', '\\', '\u0000', '']) + body.slice(at + f.int(3));
  }
  const subject = f.random() < 0.8 ? good.subject : f.pick(['virtsim.ev.x', 'virtsim.ev.99999', 'virtsim.ev.', 'other', 'virtsim.ev.1']);
  const bytes = Buffer.from(body, f.random() < 0.1 ? 'latin1' : 'utf8');
  return { subject, data: new Uint8Array(bytes), headers: f.random() < 0.05 ? undefined : h };
}

describe('the event decoder under fuzzed messages', () => {
  it('decodes a well-formed event or names what is wrong, and nothing else', () => {
    let decoded = 0;
    let refused = 0;
    fuzz('event messages', 5000, 20261205, (f) => {
      const m = message(f);
      try {
        const ev = decodeEvent(m.subject, m.data, m.headers, 4096);
        expect(ev.object.metadata.name.length).toBeGreaterThan(0);
        expect(ev.resourceVersion).toBe(ev.object.metadata.resourceVersion ?? '');
        decoded++;
      } catch (e) {
        if (!(e instanceof BusDecodeError)) throw e;
        expect(e.message).toContain(m.subject);
        refused++;
      }
    });
    expect(decoded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
