import { describe, expect, it } from 'vitest';
import { evictionDeleteOptions } from './eviction.ts';
import { decodeProtobuf } from './protobuf.ts';

describe('the Eviction deleteOptions', () => {
  it('takes grace period, preconditions and propagation from the body', () => {
    expect(evictionDeleteOptions({ gracePeriodSeconds: 7, preconditions: { uid: 'u' }, propagationPolicy: 'Foreground' }, [])).toEqual({
      gracePeriodSeconds: 7, propagationPolicy: 'Foreground', preconditions: { uid: 'u', resourceVersion: undefined }, dryRun: false,
    });
  });

  it('takes dryRun from the query or the body; both given, they must agree', () => {
    expect(evictionDeleteOptions(undefined, ['All']).dryRun).toBe(true);
    expect(evictionDeleteOptions({ dryRun: ['All'] }, []).dryRun).toBe(true);
    expect(evictionDeleteOptions({ dryRun: ['All'] }, ['All']).dryRun).toBe(true);
    expect(() => evictionDeleteOptions({ dryRun: ['All', 'All'] }, ['All'])).toThrow(
      expect.objectContaining({ code: 500, message: 'Internal error occurred: Non-matching dry-run options in request and content: [All] and [All All]' }),
    );
  });
});

describe('a protobuf Eviction (client-go typed clients configured for protobuf)', () => {
  // Just enough of the wire format to build one: varint, and length-delimited fields.
  const varint = (n: bigint): number[] => {
    let v = BigInt.asUintN(64, n);
    const out: number[] = [];
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v ? b | 0x80 : b);
    } while (v);
    return out;
  };
  const field = (n: number, payload: Buffer | string): Buffer => {
    const p = Buffer.from(payload);
    return Buffer.from([...varint(BigInt(n * 8 + 2)), ...varint(BigInt(p.length)), ...p]);
  };
  const intField = (n: number, v: bigint) => Buffer.from([...varint(BigInt(n * 8)), ...varint(v)]);

  it('decodes metadata and deleteOptions, a negative grace period included', () => {
    const meta = Buffer.concat([field(1, 'p'), field(3, 'ns')]);
    const opts = Buffer.concat([intField(1, -1n), field(2, field(1, 'uid-1')), field(4, 'Foreground'), field(5, 'All')]);
    const raw = Buffer.concat([field(1, meta), field(2, opts)]);
    const typeMeta = Buffer.concat([field(1, 'policy/v1'), field(2, 'Eviction')]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, typeMeta), field(2, raw)]);
    expect(decodeProtobuf(body)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p', namespace: 'ns' },
      deleteOptions: { gracePeriodSeconds: -1, preconditions: { uid: 'uid-1' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
    });
  });
});
