/** Where a kind of object lives in the REST API. */
export interface ResourceRef {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural
  kind: string;
  namespaced: boolean;
}

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false };
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };
export const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  namespaced: true,
};
export const VMIS: ResourceRef = {
  group: 'kubevirt.io',
  version: 'v1',
  resource: 'virtualmachineinstances',
  kind: 'VirtualMachineInstance',
  namespaced: true,
};
export const VMIMS: ResourceRef = {
  group: 'kubevirt.io',
  version: 'v1',
  resource: 'virtualmachineinstancemigrations',
  kind: 'VirtualMachineInstanceMigration',
  namespaced: true,
};
export const VMS: ResourceRef = {
  group: 'kubevirt.io',
  version: 'v1',
  resource: 'virtualmachines',
  kind: 'VirtualMachine',
  namespaced: true,
};
export const STAGES: ResourceRef = {
  group: 'kwok.x-k8s.io',
  version: 'v1alpha1',
  resource: 'stages',
  kind: 'Stage',
  namespaced: false,
};

export const apiVersionOf = (ref: ResourceRef): string => (ref.group ? `${ref.group}/${ref.version}` : ref.version);

function prefix(ref: ResourceRef): string {
  return ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
}

/** The collection URL path: all namespaces when `namespace` is undefined. */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  return ref.namespaced && namespace !== undefined
    ? `${prefix(ref)}/namespaces/${encodeURIComponent(namespace)}/${ref.resource}`
    : `${prefix(ref)}/${ref.resource}`;
}

export function objectPath(ref: ResourceRef, namespace: string | undefined, name: string, subresource?: string): string {
  const base = `${collectionPath(ref, ref.namespaced ? (namespace ?? 'default') : undefined)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}
