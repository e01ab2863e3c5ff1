/**
 * OpenAPI documents, as much as kubectl needs: /openapi/v3 lists one document per group-version,
 * and each has, for every kind, operations tagged with x-kubernetes-group-version-kind whose PATCH
 * declares the `fieldValidation` query parameter. That is how kubectl 1.32 decides the server
 * validates (`kubectl apply`/`create` without --validate=false). Custom resources also carry their
 * openAPIV3Schema as a component (for `kubectl explain`). /openapi/v2 is a minimal Swagger 2 doc.
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry, ResourceType } from './resources.ts';

type Obj = Record<string, unknown>;

const qp = (name: string, type = 'string'): Obj => ({ name, in: 'query', description: name, schema: { type, uniqueItems: true } });
const WRITE_PARAMS = [qp('dryRun'), qp('fieldManager'), qp('fieldValidation')];
const ok = (ref: string): Obj => ({ '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } } });

function schemaName(rt: ResourceType): string {
  const rev = (rt.group || 'core').split('.').reverse().join('.');
  return `${rev}.${rt.version}.${rt.kind}`;
}

export class OpenApi {
  private readonly registry: ResourceRegistry;
  private cachedAt = -1;
  private docs = new Map<string, string>();
  private root = '';

  constructor(registry: ResourceRegistry) {
    this.registry = registry;
  }

  private refresh(): void {
    if (this.cachedAt === this.registry.generation) return;
    this.cachedAt = this.registry.generation;
    this.docs.clear();
    const paths: Record<string, Obj> = {};
    for (const [g, versions] of this.registry.groups()) {
      for (const [v, rts] of versions) {
        const key = g ? `apis/${g}/${v}` : `api/${v}`;
        const doc = JSON.stringify(this.gvDoc(key, rts));
        this.docs.set(key, doc);
        const hash = createHash('sha512').update(doc).digest('hex').slice(0, 32).toUpperCase();
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
      }
    }
    this.root = JSON.stringify({ paths });
  }

  private gvDoc(key: string, rts: ResourceType[]): Obj {
    const paths: Record<string, Obj> = {};
    const schemas: Record<string, Obj> = {};
    for (const rt of rts) {
      const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
      const name = schemaName(rt);
      const ref = `#/components/schemas/${name}`;
      const base = rt.namespaced ? `/${key}/namespaces/{namespace}/${rt.resource}` : `/${key}/${rt.resource}`;
      const op = (action: string, extra: Obj = {}): Obj => ({
        tags: [key.replace(/\//g, '_')],
        operationId: `${action}${rt.kind}`,
        responses: ok(ref),
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
        ...extra,
      });
      const pathParams: Obj[] = [{ name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }];
      if (rt.namespaced) pathParams.push({ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } });
      paths[base] = {
        get: op('list'),
        post: op('post', { parameters: WRITE_PARAMS }),
        parameters: rt.namespaced ? [pathParams[1]] : [],
      };
      paths[`${base}/{name}`] = {
        get: op('get'),
        put: op('put', { parameters: WRITE_PARAMS }),
        patch: op('patch', { parameters: [...WRITE_PARAMS, qp('force', 'boolean')] }),
        delete: op('delete'),
        parameters: pathParams,
      };
      // Built-in kinds get no schema: kubectl then computes strategic merge patches from its own types.
      if (rt.crd?.schema) schemas[name] = { ...(rt.crd.schema as Obj), 'x-kubernetes-group-version-kind': [gvk] };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      paths,
      components: { schemas },
    };
  }

  v3Root(): string {
    this.refresh();
    return this.root;
  }

  v3Doc(key: string): string | undefined {
    this.refresh();
    return this.docs.get(key);
  }

  v2(): string {
    const definitions: Record<string, Obj> = {};
    for (const rt of this.registry.all()) {
      definitions[schemaName(rt)] = {
        type: 'object',
        'x-kubernetes-group-version-kind': [{ group: rt.group, version: rt.version, kind: rt.kind }],
      };
    }
    return JSON.stringify({ swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions });
  }
}

