import { describe, expect, it } from 'vitest';
import { denial, warningHeader } from './webhook-admission.ts';

describe('webhook denials (errors.ToStatusErr)', () => {
  it('keeps the webhook status code and reason, and names the webhook before its message', () => {
    const e = denial('deny.example.com', { code: 403, reason: 'Forbidden', message: 'no' });
    expect([e.code, e.reason, e.message]).toEqual([403, 'Forbidden', 'admission webhook "deny.example.com" denied the request: no']);
  });

  it('raises a code under 400 to 400, and falls back to the reason, then to "without explanation"', () => {
    expect(denial('w', { code: 200, message: 'm' }).code).toBe(400);
    expect(denial('w', { reason: 'NotAllowed' }).message).toBe('admission webhook "w" denied the request: NotAllowed');
    expect(denial('w', undefined).message).toBe('admission webhook "w" denied the request without explanation');
    expect(denial('w', undefined).code).toBe(400);
  });
});

describe('warning headers', () => {
  it('are 299 with agent "-" and the text quoted', () => {
    expect(warningHeader('plain')).toBe('299 - "plain"');
    expect(warningHeader('a "b" \\ c')).toBe('299 - "a \\"b\\" \\\\ c"');
  });
});
