/**
 * One request for a resource, as every verb handler sees it: who asks, for what, with which
 * options, and the ways to read its body and answer it (one object instead of positional arguments).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from './auth.ts';
import { decodeObject, readBody } from './body.ts';
import { send } from './http-io.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import type { RequestUrl } from './request-url.ts';
import type { Target } from './routing.ts';
import type { Operation } from './webhook-match.ts';
import type { ServerState } from './server-state.ts';
import { badRequest } from './status.ts';
import { columnDefinitions, tableRow, tableShape, wantsTable } from './table.ts';

type Obj = Record<string, any>;

export class ResourceRequest {
  readonly state: ServerState;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly user: UserInfo;
  readonly q: URLSearchParams;
  readonly accept: string | undefined;
  readonly rt: ResourceType;
  /** As the URL gave it (undefined: all namespaces, or a cluster-scoped resource). */
  readonly ns: string | undefined;
  /** The namespace as the store keys it ('' for cluster-scoped). */
  readonly nsKey: string;
  readonly name: string | undefined;
  readonly sub: string | undefined;
  readonly dryRun: boolean;
  readonly fieldManager: string | undefined;
  /** Kubernetes names a writer without fieldManager after its User-Agent's first part. */
  readonly userAgentManager: string | undefined;

  constructor(state: ServerState, req: IncomingMessage, res: ServerResponse, url: RequestUrl, user: UserInfo, t: Target) {
    this.state = state;
    this.req = req;
    this.res = res;
    this.user = user;
    this.q = url.searchParams;
    this.accept = req.headers.accept;
    this.rt = t.rt;
    this.ns = t.ns;
    this.nsKey = t.ns ?? '';
    this.name = t.name;
    this.sub = t.sub;
    this.dryRun = this.q.has('dryRun');
    this.fieldManager = this.q.get('fieldManager') ?? undefined;
    this.userAgentManager = req.headers['user-agent']?.split('/')[0] || undefined;
  }

  authorize(verb: string): void {
    const { rt } = this;
    this.state.authz.authorize(this.user, verb, { group: rt.group, resource: rt.resource, subresource: this.sub, namespace: this.ns, name: this.name });
  }

  body(): Promise<Buffer> {
    return readBody(this.req, this.state.maxBodyBytes);
  }

  async object(): Promise<Obj> {
    return decodeObject(await this.body(), this.req.headers['content-type']);
  }

  /** Once the write is durable (fsync), when the store is. */
  async durable(): Promise<void> {
    await this.state.durable?.();
  }

  /**
   * Whether this write goes through admission webhooks: only when some webhook's rules name its
   * operation on its resource. Otherwise it keeps the direct path, the same as with no webhooks.
   */
  viaWebhooks(operation: Operation): boolean {
    return this.state.webhooks?.registry.mayCall(operation, this.rt.resource, this.sub ?? '') ?? false;
  }

  /** The kind a request writes through: itself, or the storage kind it is converted to. */
  writeType(): ResourceType {
    const { rt } = this;
    if (!rt.convert) return rt;
    const [g, v, r] = rt.convert.storedAs.split('/');
    return this.state.registry.get(g!, v!, r!)!;
  }

  /** A client body in the storage kind's form (type meta checked against what was asked for). */
  toStorage(body: Obj): Obj {
    const { rt } = this;
    if (!rt.convert) return body;
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(rt))
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(rt)})`);
    if (body.kind !== undefined && body.kind !== rt.kind) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
    return rt.convert.toStored(body);
  }

  /** A stored object as this request's kind and version see it (the form a patch applies to). */
  fromStorage(obj: Obj): Obj {
    const { rt } = this;
    if (rt.convert) return rt.convert.fromStored(obj);
    return rt.version === rt.storageVersion ? obj : { ...obj, apiVersion: apiVersionOf(rt) };
  }

  send(code: number, body: string, contentType?: string): void {
    send(this.res, code, body, contentType);
  }

  /** Answers with an object: as a Table when asked, else the stored bytes when they are what was written. */
  respond(code: number, obj: Obj): void {
    const { rt, q } = this;
    if (rt.convert) obj = rt.convert.fromStored(obj);
    else if (rt.version !== rt.storageVersion) obj = { ...obj, apiVersion: apiVersionOf(rt) };
    if (wantsTable(this.accept) && obj.metadata) {
      const shape = tableShape(rt);
      const inc = q.get('includeObject') === 'None' ? 'None' : q.get('includeObject') === 'Object' ? 'Object' : 'Metadata';
      const table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: obj.metadata.resourceVersion }, columnDefinitions: columnDefinitions(shape), rows: [tableRow(obj, shape, inc, Date.now())] };
      this.send(code, JSON.stringify(table));
      return;
    }
    // The object just written is already serialized in the store: send those bytes.
    const e = obj.metadata ? this.state.objects.store.get(rt.storeKey, obj.metadata.namespace ?? '', obj.metadata.name) : undefined;
    // (Not for a dry run: the result was never stored, and it carries the stored resourceVersion.)
    if (e && !q.has('dryRun') && String(e.rv) === obj.metadata.resourceVersion && rt.version === rt.storageVersion && !rt.convert) this.send(code, e.json);
    else this.send(code, JSON.stringify(obj));
  }
}
