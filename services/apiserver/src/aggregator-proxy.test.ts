import { describe, expect, it } from 'vitest';
import { backendHeaders, escapeExtraKey } from './aggregator-proxy.ts';

describe('backendHeaders', () => {
  const user = { username: 'alice', groups: ['devs', 'system:authenticated'], extra: { 'scopes.example.io/x': ['a', 'b'] } };

  it('drops credentials, impersonation, forged X-Remote-* and hop-by-hop headers; adds the user', () => {
    const h = backendHeaders(
      {
        authorization: 'Bearer secret',
        'impersonate-user': 'alice',
        'x-remote-user': 'mallory',
        'x-remote-extra-foo': 'bar',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'content-type': 'application/json',
        accept: 'application/json',
        host: 'apiserver:6443',
      },
      user,
      '127.0.0.1:8443',
      '10.0.0.1',
      false,
    );
    expect(h).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      host: '127.0.0.1:8443',
      'x-forwarded-for': '10.0.0.1',
      'x-remote-user': 'alice',
      'x-remote-group': ['devs', 'system:authenticated'],
      'x-remote-extra-scopes.example.io%2Fx': ['a', 'b'],
    });
  });

  it('keeps Upgrade for an upgrade request', () => {
    const h = backendHeaders({ connection: 'Upgrade', upgrade: 'SPDY/3.1' }, user, 'h:1', undefined, true);
    expect(h.upgrade).toBe('SPDY/3.1');
    expect(h.connection).toBe('Upgrade');
  });
});

describe('escapeExtraKey', () => {
  it('percent-encodes what a header name cannot carry, and % itself', () => {
    expect(escapeExtraKey('example.org/key')).toBe('example.org%2Fkey');
    expect(escapeExtraKey('a%b')).toBe('a%25b');
    expect(escapeExtraKey('plain-key_1')).toBe('plain-key_1');
    expect(escapeExtraKey('é')).toBe('%C3%A9');
  });
});
