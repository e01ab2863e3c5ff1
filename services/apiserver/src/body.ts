/** Reading and decoding request bodies, with kube-apiserver's size limit and error wording. */
import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeProtobuf } from './protobuf.ts';
import { badRequest, tooLarge, unsupportedMediaType } from './status.ts';

/** kube-apiserver's limit on request bodies (3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a request body may have. Kubernetes objects stay far
 * below it (KubeVirt's VirtualMachine CRD, schema included, nests 29 deep); past a few thousand,
 * the recursive steps of a write (schema, apply, JSON.stringify) would overflow the stack.
 */
export const MAX_JSON_DEPTH = 100;

const tooDeep = () =>
  badRequest(`the request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep, the limit of this server`);

/**
 * Whether a JSON text nests objects/arrays deeper than `limit`, found without parsing it. A body
 * shorter than 2 * limit bytes cannot (it needs limit + 1 opening and closing brackets), so most
 * writes are not scanned at all.
 */
export function jsonNestsDeeperThan(buf: Uint8Array, limit: number): boolean {
  if (buf.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // the escaped character cannot end the string
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The same limit for a parsed value (YAML bodies); stops walking once past it. */
function valueNestsDeeperThan(v: unknown, limit: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (limit === 0) return true;
  for (const child of Array.isArray(v) ? v : Object.values(v)) if (valueNestsDeeperThan(child, limit - 1)) return true;
  return false;
}

/**
 * Past the size limit, the rest of a body up to this many bytes is read and thrown away rather than
 * the connection closed under a client still sending: closing a socket with unread data resets it,
 * and the client loses the 413 (Go's server does the same with a lingering close). A client that
 * sends more than this is cut off.
 */
const DISCARD_LIMIT = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const refuse = () => {
      failed = true;
      chunks.length = 0;
      reject(tooLarge(limit));
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (failed) {
        if (size > limit + DISCARD_LIMIT) req.destroy();
        return;
      }
      if (size > limit) refuse();
      else chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
    if (Number(req.headers['content-length']) > limit) refuse();
  });
}

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes an object body (create, update, delete options): JSON or YAML. */
export function decodeObject(buf: Buffer, contentType: string | undefined): Record<string, any> {
  const mt = mediaType(contentType);
  let value: unknown;
  if (mt === 'application/json' || mt === '' || mt === '*/*') {
    value = parseJson(buf);
  } else if (mt === 'application/yaml' || mt === 'application/x-yaml' || mt === 'text/yaml') {
    value = parseYaml(buf);
  } else if (mt === 'application/vnd.kubernetes.protobuf') {
    value = decodeProtobuf(buf);
  } else {
    throw unsupportedMediaType(mt);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badRequest(`the request body must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : typeof value}`);
  return value as Record<string, any>;
}

export function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) throw badRequest('the request body is empty; an object was expected');
  if (jsonNestsDeeperThan(buf, MAX_JSON_DEPTH)) throw tooDeep();
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

export function parseYaml(buf: Buffer): unknown {
  const docs = parseAllDocuments(buf.toString('utf8'), { uniqueKeys: false });
  if (!Array.isArray(docs)) throw badRequest('the request body is not valid YAML');
  if (docs.length !== 1) throw badRequest(`the request body must hold exactly one YAML document, found ${docs.length}`);
  const d = docs[0];
  // The YAML parser recurses per flow level and reports running out of stack as RESOURCE_EXHAUSTION.
  if (d.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION')) throw tooDeep();
  if (d.errors.length) throw badRequest(`the request body is not valid YAML: ${d.errors[0].message}`);
  let value: unknown;
  try {
    value = d.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep();
    throw badRequest(`the request body is not valid YAML: ${(e as Error).message}`);
  }
  if (valueNestsDeeperThan(value, MAX_JSON_DEPTH)) throw tooDeep();
  return value;
}
