// Services as a user meets them with kubectl: defaults, a ClusterIP from 10.96.0.0/12 (the
// `kubernetes` Service holds 10.96.0.1 and points at this server), node ports, headless and
// ExternalName Services, and allocated values kept or refused on update, freed on delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';

let s: ApiServerHarness;

async function apply(obj: Record<string, any>, verb: 'apply' | 'replace' = 'apply'): Promise<{ code: number; svc: Record<string, any>; stderr: string }> {
  const r = await s.kubectl([verb, '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', ...obj, metadata: { namespace: 'default', ...obj.metadata } }) });
  return { code: r.code, svc: r.code === 0 ? JSON.parse(r.stdout) : {}, stderr: r.stderr };
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

beforeAll(async () => {
  s = await startApiServerForTest();
});

afterAll(async () => {
  await s?.stop();
});

describe('Services', () => {
  it('keeps default/kubernetes at 10.96.0.1, its Endpoints naming this server', async () => {
    const svc = JSON.parse((await s.kubectl(['get', 'svc', 'kubernetes', '-n', 'default', '-o', 'json'])).stdout);
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] });
    const ep = JSON.parse((await s.kubectl(['get', 'endpoints', 'kubernetes', '-n', 'default', '-o', 'json'])).stdout);
    expect(ep.subsets[0].ports[0].port).toBe(Number(new URL(s.url).port));
  });

  it('defaults a Service and allocates a ClusterIP in the service range', async () => {
    const { svc } = await apply({ metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    const ip: string = svc.spec.clusterIP;
    expect(svc.spec.clusterIPs).toEqual([ip]);
    expect(toInt(ip)).toBeGreaterThan(toInt('10.96.0.1'));
    expect(toInt(ip)).toBeLessThan(toInt('10.112.0.0'));
    expect(svc.spec.ports[0].nodePort).toBeUndefined();
  });

  it('keeps the ClusterIP when an update leaves it out, and refuses changing it', async () => {
    const { svc } = await apply({ metadata: { name: 'keep' }, spec: { ports: [{ port: 80 }] } });
    const replaced = await apply({ metadata: { name: 'keep' }, spec: { ports: [{ port: 81 }] } }, 'replace');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.svc.spec.clusterIP).toBe(svc.spec.clusterIP);
    const changed = await apply({ metadata: { name: 'keep' }, spec: { clusterIP: '10.96.7.7', ports: [{ port: 81 }] } }, 'replace');
    expect(changed.stderr).toContain('The Service "keep" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: may not change once set');
  });

  it('refuses a ClusterIP in use or out of range, and frees it with its Service', async () => {
    expect((await apply({ metadata: { name: 'fixed' }, spec: { clusterIP: '10.96.100.100', ports: [{ port: 80 }] } })).code).toBe(0);
    const taken = await apply({ metadata: { name: 'fixed2' }, spec: { clusterIP: '10.96.100.100', ports: [{ port: 80 }] } });
    expect(taken.stderr).toContain('spec.clusterIPs: Invalid value: []string{"10.96.100.100"}: failed to allocate IP 10.96.100.100: provided IP is already allocated');
    const outside = await apply({ metadata: { name: 'fixed3' }, spec: { clusterIP: '192.168.0.10', ports: [{ port: 80 }] } });
    expect(outside.stderr).toContain('the provided IP (192.168.0.10) is not in the valid range');
    expect((await s.kubectl(['delete', 'svc', 'fixed', '-n', 'default'])).code).toBe(0);
    expect((await apply({ metadata: { name: 'fixed2' }, spec: { clusterIP: '10.96.100.100', ports: [{ port: 80 }] } })).code).toBe(0);
  });

  it('allocates distinct node ports for NodePort Services and refuses one in use', async () => {
    const a = (await apply({ metadata: { name: 'np-a' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 443, name: 'https' }].map((p, i) => ({ name: `p${i}`, ...p })) } })).svc;
    const ports = a.spec.ports.map((p: { nodePort: number }) => p.nodePort);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(30000);
    expect(new Set(ports).size).toBe(2);
    expect(a.spec.externalTrafficPolicy).toBe('Cluster');
    const clash = await apply({ metadata: { name: 'np-b' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] } });
    expect(clash.stderr).toContain(`spec.ports[0].nodePort: Invalid value: ${ports[0]}: provided port is already allocated`);
  });

  it('gives headless Services no IP, and ExternalName Services no ClusterIP at all', async () => {
    expect((await apply({ metadata: { name: 'headless' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } })).svc.spec.clusterIPs).toEqual(['None']);
    const ext = (await apply({ metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } })).svc;
    expect(ext.spec.clusterIP).toBeUndefined();
    expect(ext.spec.type).toBe('ExternalName');
  });
});
