/**
 * Decoding of the Kubernetes protobuf encoding for the few kinds kubectl's typed clients send that
 * way (`kubectl create namespace|configmap|secret|serviceaccount|role|clusterrole|rolebinding|
 * clusterrolebinding`, `kubectl auth can-i` and `kubectl create token` post
 * application/vnd.kubernetes.protobuf). Other kinds answer 415, and every response is JSON, which
 * those clients also accept. Envelope: "k8s\0" + runtime.Unknown{typeMeta, raw}.
 */
import { StatusError } from './status.ts';

type Obj = Record<string, any>;

class Reader {
  private readonly b: Buffer;
  pos: number;
  private readonly end: number;

  constructor(b: Buffer, start = 0, end = b.length) {
    this.b = b;
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.b[this.pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }

  /** A signed int64 (two's complement over ten bytes when negative: a grace period of -1). */
  int64(): number {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.b[this.pos++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
    return Number(BigInt.asIntN(64, v));
  }

  bytes(): Buffer {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Error('truncated field');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Calls `f(field, wireType)` for each field; skips what `f` leaves unread. */
  fields(f: (field: number, wire: number) => void): void {
    while (!this.done()) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      const before = this.pos;
      f(field, wire);
      if (this.pos === before) this.skip(wire);
    }
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const sub = (r: Reader) => {
  const b = r.bytes();
  return new Reader(b);
};
const str = (r: Reader) => r.bytes().toString('utf8');

function mapEntry(r: Reader, valueAsBase64 = false): [string, string] {
  const e = sub(r);
  let k = '';
  let v = '';
  e.fields((f) => {
    if (f === 1) k = str(e);
    else if (f === 2) v = valueAsBase64 ? e.bytes().toString('base64') : str(e);
  });
  return [k, v];
}

function time(r: Reader): string {
  const t = sub(r);
  let seconds = 0;
  t.fields((f, w) => {
    if (f === 1 && w === 0) seconds = t.varint();
  });
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function ownerReference(r: Reader): Obj {
  const o = sub(r);
  const out: Obj = {};
  o.fields((f, w) => {
    if (f === 1) out.kind = str(o);
    else if (f === 3) out.name = str(o);
    else if (f === 4) out.uid = str(o);
    else if (f === 5) out.apiVersion = str(o);
    else if (f === 6 && w === 0) out.controller = o.varint() !== 0;
    else if (f === 7 && w === 0) out.blockOwnerDeletion = o.varint() !== 0;
  });
  return out;
}

function objectMeta(r: Reader): Obj {
  const m = sub(r);
  const md: Obj = {};
  m.fields((f, w) => {
    switch (f) {
      case 1: md.name = str(m); break;
      case 2: md.generateName = str(m); break;
      case 3: md.namespace = str(m); break;
      case 5: md.uid = str(m); break;
      case 6: md.resourceVersion = str(m); break;
      case 7: if (w === 0) md.generation = m.varint(); break;
      case 8: md.creationTimestamp = time(m); break;
      case 11: { const [k, v] = mapEntry(m); (md.labels ??= {})[k] = v; break; }
      case 12: { const [k, v] = mapEntry(m); (md.annotations ??= {})[k] = v; break; }
      case 13: (md.ownerReferences ??= []).push(ownerReference(m)); break;
      case 14: (md.finalizers ??= []).push(str(m)); break;
    }
  });
  for (const k of Object.keys(md)) if (md[k] === '') delete md[k];
  return md;
}

function objectReference(r: Reader): Obj {
  const o = sub(r);
  const out: Obj = {};
  o.fields((f) => {
    if (f === 1) out.kind = str(o);
    else if (f === 2) out.namespace = str(o);
    else if (f === 3) out.name = str(o);
  });
  return out;
}

/** A message of string fields (and repeated strings where `lists` names them), by field number. */
function strings(r: Reader, names: Record<number, string>, lists: Record<number, string> = {}): Obj {
  const m = sub(r);
  const out: Obj = {};
  m.fields((f) => {
    if (names[f]) out[names[f]] = str(m);
    else if (lists[f]) (out[lists[f]] ??= []).push(str(m));
  });
  return out;
}

const policyRule = (r: Reader) => strings(r, {}, { 1: 'verbs', 2: 'apiGroups', 3: 'resources', 4: 'resourceNames', 5: 'nonResourceURLs' });

function labelSelector(r: Reader): Obj {
  const m = sub(r);
  const out: Obj = {};
  m.fields((f) => {
    if (f === 1) { const [k, v] = mapEntry(m); (out.matchLabels ??= {})[k] = v; }
    else if (f === 2) (out.matchExpressions ??= []).push(strings(m, { 1: 'key', 2: 'operator' }, { 3: 'values' }));
  });
  return out;
}

/** Role/ClusterRole (rules = 2, aggregationRule = 3) and their bindings (subjects = 2, roleRef = 3). */
function rbacObject(binding: boolean) {
  return (r: Reader, o: Obj) =>
    r.fields((f) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2 && !binding) (o.rules ??= []).push(policyRule(r));
      else if (f === 2) (o.subjects ??= []).push(strings(r, { 1: 'kind', 2: 'apiGroup', 3: 'name', 4: 'namespace' }));
      else if (f === 3 && binding) o.roleRef = strings(r, { 1: 'apiGroup', 2: 'kind', 3: 'name' });
      else if (f === 3) {
        const a = sub(r);
        const selectors: Obj[] = [];
        a.fields((g) => { if (g === 1) selectors.push(labelSelector(a)); });
        o.aggregationRule = { clusterRoleSelectors: selectors };
      }
    });
}

/** An access review's spec: resource or non-resource attributes and, but for the self review, the subject. */
function accessReview(r: Reader, o: Obj): void {
  r.fields((f) => {
    if (f === 1) o.metadata = objectMeta(r);
    else if (f === 2) {
      const s = sub(r);
      const spec: Obj = {};
      s.fields((g) => {
        if (g === 1) spec.resourceAttributes = strings(s, { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' });
        else if (g === 2) spec.nonResourceAttributes = strings(s, { 1: 'path', 2: 'verb' });
        else if (g === 3) spec.user = str(s);
        else if (g === 4) (spec.groups ??= []).push(str(s));
        else if (g === 6) spec.uid = str(s);
      });
      o.spec = spec;
    }
  });
}

/** TokenRequest: spec {audiences = 1, boundObjectRef = 3, expirationSeconds = 4}. */
function tokenRequest(r: Reader, o: Obj): void {
  r.fields((f) => {
    if (f === 1) o.metadata = objectMeta(r);
    else if (f === 2) {
      const s = sub(r);
      const spec: Obj = {};
      s.fields((g, w) => {
        if (g === 1) (spec.audiences ??= []).push(str(s));
        else if (g === 3) spec.boundObjectRef = strings(s, { 1: 'kind', 2: 'apiVersion', 3: 'name', 4: 'uid' });
        else if (g === 4 && w === 0) spec.expirationSeconds = s.varint();
      });
      o.spec = spec;
    }
  });
}

/** meta/v1 DeleteOptions: gracePeriodSeconds = 1, preconditions = 2 {uid, resourceVersion}, orphanDependents = 3, propagationPolicy = 4, dryRun = 5. */
function deleteOptions(r: Reader): Obj {
  const m = sub(r);
  const out: Obj = {};
  m.fields((f, w) => {
    if (f === 1 && w === 0) out.gracePeriodSeconds = m.int64();
    else if (f === 2) out.preconditions = strings(m, { 1: 'uid', 2: 'resourceVersion' });
    else if (f === 3 && w === 0) out.orphanDependents = m.varint() !== 0;
    else if (f === 4) out.propagationPolicy = str(m);
    else if (f === 5) (out.dryRun ??= []).push(str(m));
  });
  return out;
}

/** policy Eviction: metadata = 1, deleteOptions = 2 (kubectl drain posts JSON; controllers on client-go's protobuf config evict with this). */
function eviction(r: Reader, o: Obj): void {
  r.fields((f) => {
    if (f === 1) o.metadata = objectMeta(r);
    else if (f === 2) o.deleteOptions = deleteOptions(r);
  });
}

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';
const AUTHZ_V1 = 'authorization.k8s.io/v1';

const DECODERS: Record<string, (r: Reader, o: Obj) => void> = {
  [`${RBAC_V1}/Role`]: rbacObject(false),
  [`${RBAC_V1}/ClusterRole`]: rbacObject(false),
  [`${RBAC_V1}/RoleBinding`]: rbacObject(true),
  [`${RBAC_V1}/ClusterRoleBinding`]: rbacObject(true),
  [`${AUTHZ_V1}/SelfSubjectAccessReview`]: accessReview,
  [`${AUTHZ_V1}/SubjectAccessReview`]: accessReview,
  [`${AUTHZ_V1}/LocalSubjectAccessReview`]: accessReview,
  [`${AUTHZ_V1}/SelfSubjectRulesReview`]: (r, o) =>
    r.fields((f) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2) o.spec = strings(r, { 1: 'namespace' });
    }),
  'authentication.k8s.io/v1/TokenRequest': tokenRequest,
  'policy/v1/Eviction': eviction,
  'policy/v1beta1/Eviction': eviction,
  'authentication.k8s.io/v1/TokenReview': (r, o) =>
    r.fields((f) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2) o.spec = strings(r, { 1: 'token' }, { 2: 'audiences' });
    }),
  'v1/ConfigMap': (r, o) =>
    r.fields((f, w) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2) { const [k, v] = mapEntry(r); (o.data ??= {})[k] = v; }
      else if (f === 3) { const [k, v] = mapEntry(r, true); (o.binaryData ??= {})[k] = v; }
      else if (f === 4 && w === 0) o.immutable = r.varint() !== 0;
    }),
  'v1/Secret': (r, o) =>
    r.fields((f, w) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2) { const [k, v] = mapEntry(r, true); (o.data ??= {})[k] = v; }
      else if (f === 3) o.type = str(r);
      else if (f === 4) { const [k, v] = mapEntry(r); (o.stringData ??= {})[k] = v; }
      else if (f === 5 && w === 0) o.immutable = r.varint() !== 0;
    }),
  'v1/Namespace': (r, o) =>
    r.fields((f) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2) {
        const s = sub(r);
        const fin: string[] = [];
        s.fields((g) => { if (g === 1) fin.push(str(s)); });
        if (fin.length) o.spec = { finalizers: fin };
      }
    }),
  'v1/ServiceAccount': (r, o) =>
    r.fields((f, w) => {
      if (f === 1) o.metadata = objectMeta(r);
      else if (f === 2) (o.secrets ??= []).push(objectReference(r));
      else if (f === 3 && w === 0) o.automountServiceAccountToken = r.varint() !== 0;
      else if (f === 4) (o.imagePullSecrets ??= []).push({ name: objectReference(r).kind });
    }),
};

export function decodeProtobuf(buf: Buffer): Obj {
  if (buf.length < 4 || buf.toString('latin1', 0, 4) !== 'k8s\0')
    throw new StatusError(400, 'BadRequest', 'the protobuf body does not start with the Kubernetes magic number');
  try {
    const env = new Reader(buf, 4);
    let apiVersion = '';
    let kind = '';
    let raw: Buffer | undefined;
    env.fields((f) => {
      if (f === 1) {
        const t = sub(env);
        t.fields((g) => {
          if (g === 1) apiVersion = str(t);
          else if (g === 2) kind = str(t);
        });
      } else if (f === 2) raw = env.bytes();
    });
    const dec = DECODERS[`${apiVersion}/${kind}`];
    if (!dec)
      throw new StatusError(415, 'UnsupportedMediaType', `the protobuf encoding of ${apiVersion}/${kind} is not supported; send application/json`);
    const o: Obj = { apiVersion, kind };
    dec(new Reader(raw ?? Buffer.alloc(0)), o);
    o.metadata ??= {};
    return o;
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw new StatusError(400, 'BadRequest', `the protobuf body could not be decoded: ${(e as Error).message}`);
  }
}
