import { describe, expect, it } from 'vitest';
import { fleetApiAccess } from './fleet-api-access.ts';

describe('fleetApiAccess', () => {
  it("puts the API server's socket and the fleet's kubeconfig in the state dir", () => {
    expect(fleetApiAccess('/home/me/.virtsim', '/home/me/.virtsim/kubeconfig')).toEqual({ socket: '/home/me/.virtsim/apiserver.sock', kubeconfig: '/home/me/.virtsim/fleet-kubeconfig' });
  });

  it("keeps the fleet on the user's kubeconfig when the socket's path would not fit a socket address", () => {
    const deep = `/home/me/${'a'.repeat(90)}/.virtsim`;
    expect(fleetApiAccess(deep, `${deep}/kubeconfig`)).toEqual({ kubeconfig: `${deep}/kubeconfig` });
    // 107 bytes fit (sun_path less its NUL); 108 do not.
    const fits = `/${'b'.repeat(107 - '/apiserver.sock'.length - 1)}`;
    expect(fleetApiAccess(fits, 'k').socket).toBe(`${fits}/apiserver.sock`);
    expect(fleetApiAccess(`${fits}c`, 'k').socket).toBeUndefined();
  });
});
