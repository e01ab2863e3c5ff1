import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { statusErrors } from './status.ts';
import { StatusError } from './status-error.ts';

describe('StatusError', () => {
  it('round-trips through the Status body the server answers with (fields in kube-apiserver 1.26 order)', () => {
    const sent = StatusError.fromStatus(statusErrors.notFound({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, 'vm1'));
    const body = JSON.stringify(sent.toStatus());
    expect(body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"virtualmachineinstances.kubevirt.io \\"vm1\\" not found","reason":"NotFound","details":{"name":"vm1","group":"kubevirt.io","kind":"virtualmachineinstances"},"code":404}',
    );
    const got = StatusError.parse(404, body);
    expect(got).toBeInstanceOf(StatusError);
    expect(got).toMatchObject({ name: 'StatusError', code: 404, reason: 'NotFound', message: 'virtualmachineinstances.kubevirt.io "vm1" not found', details: sent.details });
  });

  it('parses Retry-After, and keeps a body that is not a Status as the message', () => {
    expect(StatusError.parse(429, '{"reason":"TooManyRequests","message":"slow down"}', '2')).toMatchObject({ code: 429, reason: 'TooManyRequests', retryAfterMs: 2000 });
    expect(StatusError.parse(502, '<html>bad gateway</html>', 'soon')).toMatchObject({ code: 502, reason: '', message: '<html>bad gateway</html>', retryAfterMs: undefined });
    expect(StatusError.parse(503, 'null').message).toBe('null');
    expect(StatusError.parse(500, '').message).toBe('HTTP 500');
    expect(StatusError.parse(500, 'x'.repeat(600)).message).toHaveLength(500);
  });

  it('is logged by pino with its name, code, reason, stack and cause', () => {
    const lines: string[] = [];
    const log = pino({ base: undefined }, new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }));
    const cause = new Error('disk full');
    log.warn({ err: new StatusError(500, 'InternalError', 'Internal error occurred: disk full', undefined, { cause }) }, 'write failed');
    const { err } = JSON.parse(lines[0]) as { err: Record<string, unknown> };
    expect(err).toMatchObject({ type: 'StatusError', name: 'StatusError', code: 500, reason: 'InternalError', message: expect.stringContaining('Internal error occurred: disk full') });
    expect(err.stack).toMatch(/^StatusError: Internal error occurred: disk full\n\s+at /);
    expect(String(err.stack)).toContain('caused by: Error: disk full');
  });
});
