import { describe, expect, it } from 'vitest';
import { unixSocketPath, unixSocketUrl } from './unix-socket-url.ts';

describe('unix socket URLs', () => {
  it('carry any path through URL parsing and back', () => {
    for (const path of ['/home/me/.virtsim/apiserver.sock', '/tmp/a b/#1/100%/?x/api.sock', '/tmp/ünï/api.sock']) {
      expect(unixSocketPath(new URL(unixSocketUrl(path)))).toBe(path);
    }
  });

  it('name no socket for other schemes', () => {
    expect(unixSocketPath(new URL('https://127.0.0.1:6443'))).toBeUndefined();
  });
});
