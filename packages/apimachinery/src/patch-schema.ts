// Patch metadata of built-in kinds: the `patchStrategy` / `patchMergeKey` Go struct tags
// (strategic merge patch) and the `+listType` / `+listMapKey` markers (server-side apply) of
// k8s.io/api v1.32 (checked against kubernetes/api v0.32.13 core/v1/types.go). Only fields that carry such tags (and their parents) are listed: every other
// list is atomic (replaced whole) and every other object is merged key by key.

export interface PatchSchema {
  /** Struct fields by JSON name. */
  fields?: Record<string, PatchSchema>;
  /** Schema of each element of a list. */
  items?: PatchSchema;
  /** Schema of each value of a map[string]T. */
  values?: PatchSchema;
  /** `merge`, `replace`, `retainKeys` or `merge,retainKeys` (strategic merge patch). */
  patchStrategy?: string;
  patchMergeKey?: string;
  /** Server-side apply: how list elements are identified. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** Defaults of list-map key fields that objects may omit (e.g. ports' protocol: TCP). */
  listMapKeyDefaults?: Record<string, unknown>;
  /** Server-side apply: an object owned as a whole (x-kubernetes-map-type: atomic). */
  mapType?: 'atomic' | 'granular';
}

const mergeBy = (key: string, items?: PatchSchema, keys: string[] = [key]): PatchSchema => ({
  patchStrategy: 'merge',
  patchMergeKey: key,
  listType: 'map',
  listMapKeys: keys,
  ...(items ? { items } : {}),
});
const mergeSet: PatchSchema = { patchStrategy: 'merge', listType: 'set' };
const atomic: PatchSchema = { listType: 'atomic' };
const mapBy = (...keys: string[]): PatchSchema => ({ listType: 'map', listMapKeys: keys });

export const objectMetaPatchSchema: PatchSchema = {
  fields: {
    finalizers: mergeSet,
    ownerReferences: mergeBy('uid'),
    managedFields: atomic,
  },
};

const resourceRequirements: PatchSchema = { fields: { claims: mapBy('name') } };

const containerPatchSchema: PatchSchema = {
  fields: {
    command: atomic,
    args: atomic,
    ports: { ...mergeBy('containerPort', undefined, ['containerPort', 'protocol']), listMapKeyDefaults: { protocol: 'TCP' } },
    envFrom: atomic,
    env: mergeBy('name'),
    resources: resourceRequirements,
    resizePolicy: atomic,
    volumeMounts: mergeBy('mountPath'),
    volumeDevices: mergeBy('devicePath'),
  },
};

const podSpecPatchSchema: PatchSchema = {
  fields: {
    volumes: { ...mergeBy('name'), patchStrategy: 'merge,retainKeys' },
    initContainers: mergeBy('name', containerPatchSchema),
    containers: mergeBy('name', containerPatchSchema),
    ephemeralContainers: mergeBy('name', containerPatchSchema),
    imagePullSecrets: mergeBy('name'),
    tolerations: atomic,
    hostAliases: mergeBy('ip'),
    readinessGates: atomic,
    topologySpreadConstraints: mergeBy('topologyKey', undefined, ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: mergeBy('name'),
    resourceClaims: { ...mergeBy('name'), patchStrategy: 'merge,retainKeys' },
    resources: resourceRequirements,
  },
};

const podStatusPatchSchema: PatchSchema = {
  fields: {
    conditions: mergeBy('type'),
    // Merged by ip in strategic merge patch, but +listType=atomic for server-side apply (v1.32).
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    podIPs: mergeBy('ip'),
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: { ...mergeBy('name'), patchStrategy: 'merge,retainKeys' },
  },
};

const metaOnly: PatchSchema = { fields: { metadata: objectMetaPatchSchema } };
const conditionsByType: PatchSchema = { fields: { conditions: mergeBy('type') } };

export const podPatchSchema: PatchSchema = {
  fields: { metadata: objectMetaPatchSchema, spec: podSpecPatchSchema, status: podStatusPatchSchema },
};

export const nodePatchSchema: PatchSchema = {
  fields: {
    metadata: objectMetaPatchSchema,
    spec: { fields: { podCIDRs: mergeSet, taints: atomic } },
    status: {
      fields: {
        conditions: mergeBy('type'),
        addresses: mergeBy('type'),
        volumesInUse: atomic,
        volumesAttached: atomic,
        images: atomic,
      },
    },
  },
};

/** Patch metadata keyed `<apiVersion>/<Kind>` (core kinds: `v1/<Kind>`). */
export const builtinPatchSchemas: Record<string, PatchSchema> = {
  'v1/Pod': podPatchSchema,
  'v1/Node': nodePatchSchema,
  'v1/Namespace': { fields: { metadata: objectMetaPatchSchema, spec: { fields: { finalizers: atomic } }, status: conditionsByType } },
  'v1/ConfigMap': metaOnly,
  'v1/Secret': metaOnly,
  'v1/ServiceAccount': { fields: { metadata: objectMetaPatchSchema, secrets: mergeBy('name'), imagePullSecrets: atomic } },
  'v1/Event': metaOnly,
  'events.k8s.io/v1/Event': metaOnly,
  'coordination.k8s.io/v1/Lease': metaOnly,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    fields: {
      metadata: objectMetaPatchSchema,
      spec: { fields: { versions: atomic } },
      status: { fields: { conditions: mapBy('type'), storedVersions: atomic } },
    },
  },
};

/** The schema for `apiVersion` + `kind`, or metadata-only patch metadata for kinds not listed. */
export function patchSchemaFor(apiVersion: string, kind: string): PatchSchema {
  return builtinPatchSchemas[`${apiVersion}/${kind}`] ?? metaOnly;
}
