import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.ts';
import { decodeContinue, encodeContinue, validateListOptions } from './list-options.ts';

const v = (o: Parameters<typeof validateListOptions>[0]): string[] => validateListOptions(o).map(formatFieldError);

describe('validateListOptions', () => {
  it('accepts the usual lists and watches', () => {
    expect(v({})).toEqual([]);
    expect(v({ resourceVersion: '0' })).toEqual([]);
    expect(v({ resourceVersion: '10', resourceVersionMatch: 'NotOlderThan' })).toEqual([]);
    expect(v({ watch: true, resourceVersion: '10', allowWatchBookmarks: true })).toEqual([]);
    expect(v({ watch: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' })).toEqual([]);
  });
  it('refuses resourceVersionMatch misuse with k8s text', () => {
    expect(v({ resourceVersionMatch: 'Exact' })).toEqual(['resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided']);
    expect(v({ resourceVersion: '0', resourceVersionMatch: 'Exact' })).toEqual([
      'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ]);
    expect(v({ resourceVersion: '1', resourceVersionMatch: 'Newer' })).toEqual([
      'resourceVersionMatch: Unsupported value: "Newer": supported values: "Exact", "NotOlderThan", ""',
    ]);
    expect(v({ watch: true, sendInitialEvents: true })).toEqual([
      'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    ]);
    expect(v({ sendInitialEvents: true })).toEqual(['sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list']);
  });
});

describe('continue tokens', () => {
  it('round-trip and refuse garbage', () => {
    const t = encodeContinue({ resourceVersion: 42, start: 'default/vmi-9\u0000' });
    expect(decodeContinue(t)).toEqual({ resourceVersion: 42, start: 'default/vmi-9\u0000' });
    expect(() => decodeContinue('!!!')).toThrow(/^continue key is not valid/);
    expect(() => decodeContinue(Buffer.from('{"v":"x","rv":1,"start":"a"}').toString('base64url'))).toThrow(
      'continue key is not valid: server does not recognize this encoded version "x"',
    );
  });
});
