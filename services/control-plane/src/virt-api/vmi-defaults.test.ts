import { describe, expect, it } from 'vitest';
import { binaryQuantity, vmiCreateMutation } from './vmi-defaults.ts';

describe("virt-api's VMI create mutation", () => {
  const fedora = {
    metadata: { name: 'vmi-fedora', namespace: 'default' },
    spec: {
      domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, memory: { guest: '1024M' }, resources: {} },
      networks: [{ name: 'default', pod: {} }],
      volumes: [{ name: 'containerdisk', containerDisk: { image: 'x' } }, { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '' } }],
    },
  };

  it('sets Pending with its transition timestamp and the foreground finalizer', () => {
    const m = vmiCreateMutation(fedora, '2026-01-01T00:00:00Z');
    expect(m.status.phase).toBe('Pending');
    expect(m.status.phaseTransitionTimestamps).toEqual([{ phase: 'Pending', phaseTransitionTimestamp: '2026-01-01T00:00:00Z' }]);
    expect(m.metadata.finalizers).toEqual(['kubevirt.io/foregroundDeleteVirtualMachine']);
    expect(m.status.memory).toEqual({ guestAtBoot: '1024M', guestCurrent: '1024M', guestRequested: '1024M' });
    expect(m.status.currentCPUTopology).toEqual({ sockets: 1, cores: 1, threads: 1 });
  });

  it('applies the spec defaults: q35, host-model, amd64, memory request from guest, a disk per volume', () => {
    const { spec } = vmiCreateMutation(fedora);
    expect(spec.architecture).toBe('amd64');
    expect(spec.domain.machine.type).toBe('q35');
    expect(spec.domain.cpu).toMatchObject({ model: 'host-model', sockets: 1, maxSockets: 4 });
    expect(spec.domain.resources.requests.memory).toBe('1024M');
    expect(spec.domain.memory.maxGuest).toBe('4096M');
    expect(spec.domain.devices.disks.map((d: { name: string }) => d.name)).toEqual(['containerdisk', 'cloudinitdisk']);
    expect(spec.terminationGracePeriodSeconds).toBe(30);
  });

  it('attaches the pod network with the default bridge binding when none is given', () => {
    const { spec } = vmiCreateMutation({ metadata: { name: 'a', namespace: 'd' }, spec: { domain: { resources: { requests: { memory: '128Mi' } } } } });
    expect(spec.domain.devices.interfaces).toEqual([{ name: 'default', bridge: {} }]);
    expect(spec.networks).toEqual([{ name: 'default', pod: {} }]);
    expect(spec.domain.memory).toEqual({ guest: '128Mi', maxGuest: '512Mi' });
  });

  it('prints byte counts as Kubernetes does', () => {
    expect(binaryQuantity(512 * 2 ** 20)).toBe('512Mi');
    expect(binaryQuantity(4 * 2 ** 30)).toBe('4Gi');
    expect(binaryQuantity(1000)).toBe('1000');
  });
});
