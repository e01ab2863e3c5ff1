/**
 * CustomResourceDefinitions: validating a definition, and serving its resource (every served
 * version, namespaced or cluster-scoped, status subresource, short names, categories, printer
 * columns) from the moment it is written; its objects go when it is deleted.
 */
import { fieldErrors, type FieldError } from '@virtsim/apimachinery';
import { compileCrdSchema, checkCrdSchema } from './crd-schema.ts';
import type { ObjectHooks } from './objects.ts';
import { ALL_VERBS, BUILTIN_RESOURCES, type PrinterColumn, type ResourceRegistry, type ResourceType, type ScaleSpec } from './resources.ts';
import type { Store } from './store.ts';

type Obj = Record<string, any>;

export const CRD_STORE_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

export function validateCrd(crd: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec;
  if (!spec || typeof spec !== 'object') return [fieldErrors.required('spec', '')];
  const names = spec.names ?? {};
  if (!spec.group) errs.push(fieldErrors.required('spec.group', ''));
  else if (!spec.group.includes('.')) errs.push(fieldErrors.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (!names.plural) errs.push(fieldErrors.required('spec.names.plural', ''));
  if (!names.kind) errs.push(fieldErrors.required('spec.names.kind', ''));
  if (names.plural && spec.group && crd.metadata.name !== `${names.plural}.${spec.group}`)
    errs.push(fieldErrors.invalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errs.push(fieldErrors.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  const versions: Obj[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errs.push(fieldErrors.invalid('spec.versions', null, 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage).length !== 1)
    errs.push(fieldErrors.invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  versions.forEach((v, i) => {
    if (!v.name) errs.push(fieldErrors.required(`spec.versions[${i}].name`, ''));
    const schema = v.schema?.openAPIV3Schema;
    if (schema === undefined) errs.push(fieldErrors.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
    else errs.push(...checkCrdSchema(schema, `spec.versions[${i}].schema.openAPIV3Schema`));
  });
  if (spec.group && BUILTIN_RESOURCES.some((b) => b.group === spec.group))
    errs.push(fieldErrors.invalid('spec.group', spec.group, 'is a built-in API group'));
  return errs;
}

/** The ResourceTypes a definition serves. */
export function resourceTypesOf(crd: Obj): ResourceType[] {
  const spec = crd.spec;
  const names = spec.names;
  const storage: string = spec.versions.find((v: Obj) => v.storage)?.name ?? spec.versions[0].name;
  const out: ResourceType[] = [];
  for (const v of spec.versions as Obj[]) {
    if (v.served === false) continue;
    const schema = v.schema?.openAPIV3Schema;
    const columns: PrinterColumn[] | null = Array.isArray(v.additionalPrinterColumns)
      ? v.additionalPrinterColumns.map((c: Obj) => ({ name: c.name, type: c.type, format: c.format, description: c.description ?? '', priority: c.priority ?? 0, jsonPath: c.jsonPath }))
      : null;
    out.push({
      group: spec.group,
      version: v.name,
      resource: names.plural,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      singular: names.singular ?? String(names.kind).toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: ALL_VERBS,
      storeKey: `${spec.group}/${names.plural}`,
      storageVersion: storage,
      hasStatus: !!v.subresources?.status,
      columns,
      extraSubresources: [],
      ...(v.subresources?.scale ? { scale: crdScale(v.subresources.scale) } : {}),
      crd: crdInfo(crd.metadata.name, schema),
    });
  }
  return out;
}

/** A CRD version's subresources.scale; without labelSelectorPath the Scale has no selector. */
function crdScale(s: Record<string, any>): ScaleSpec {
  return {
    specReplicasPath: s.specReplicasPath,
    statusReplicasPath: s.statusReplicasPath,
    ...(s.labelSelectorPath ? { selector: { from: 'path' as const, path: s.labelSelectorPath } } : {}),
  };
}

function crdInfo(crdName: string, schema: unknown): ResourceType['crd'] {
  if (!schema) return { crdName };
  const c = compileCrdSchema(schema);
  return { crdName, schema, admit: c.admit, patchSchema: c.compiled.patchSchema };
}

export class CrdManager implements ObjectHooks {
  private readonly registry: ResourceRegistry;
  private readonly store: Store;

  constructor(registry: ResourceRegistry, store: Store) {
    this.registry = registry;
    this.store = store;
  }

  validate(rt: ResourceType, obj: Obj): FieldError[] {
    return rt.storeKey === CRD_STORE_KEY ? validateCrd(obj) : [];
  }

  admit(op: 'CREATE' | 'UPDATE', rt: ResourceType, obj: Obj, old: Obj | null): void {
    if (rt.storeKey !== CRD_STORE_KEY) return;
    const spec = obj.spec ?? {};
    const names = spec.names ?? {};
    if (op === 'CREATE' || !old?.status?.acceptedNames) {
      const storage = (spec.versions ?? []).find((v: Obj) => v.storage)?.name;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      obj.status = {
        acceptedNames: { ...names, singular: names.singular ?? String(names.kind ?? '').toLowerCase(), listKind: names.listKind ?? `${names.kind}List` },
        conditions: [
          { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
        storedVersions: storage ? [storage] : [],
      };
    }
  }

  afterWrite(rt: ResourceType, obj: Obj | null, name: string): void {
    if (rt.storeKey !== CRD_STORE_KEY) return;
    const before = this.servedVersions(name);
    this.registry.removeCrd(name);
    if (obj && !obj.metadata.deletionTimestamp) {
      const types = resourceTypesOf(obj);
      for (const t of types) this.registry.add(t);
      // A watch converts from the storage version it was opened with: when the versions change,
      // kube-apiserver replaces the CRD's storage and its watches end; clients watch again and
      // get objects in the version they ask for (not the new storage version, verbatim).
      if (before && before !== this.servedVersions(name) && types[0]) this.store.closeWatchers(types[0].storeKey);
    } else if (!obj) {
      // The definition is gone: so are its objects, each with a DELETED event for its watchers.
      const [plural, ...group] = name.split('.');
      const key = `${group.join('.')}/${plural}`;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      for (const e of [...this.store.scan(key, undefined)]) {
        const o = JSON.parse(e.json);
        o.metadata.deletionTimestamp ??= now;
        this.store.remove(key, e, o);
      }
      this.store.dropResource(key);
    }
  }

  /** How a CRD is served now ("v1,v1alpha3>v1alpha3": served versions, then storage), or undefined. */
  private servedVersions(crdName: string): string | undefined {
    const types = this.registry.all().filter((t) => t.crd?.crdName === crdName);
    if (!types.length) return undefined;
    return `${types.map((t) => t.version).sort().join(',')}>${types[0]!.storageVersion}`;
  }

  /** Re-serves the definitions found in the store (after a restart). */
  restoreAll(parse: (json: string) => Obj): void {
    for (const e of this.store.scan(CRD_STORE_KEY, undefined)) {
      const crd = parse(e.json);
      for (const t of resourceTypesOf(crd)) this.registry.add(t);
    }
  }
}
