/** Reading and decoding request bodies, with kube-apiserver's size limit and error wording. */
import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeProtobuf } from './protobuf.ts';
import { badRequest, tooLarge, unsupportedMediaType } from './status.ts';

/** kube-apiserver's limit on request bodies (3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
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
  if (d.errors.length) throw badRequest(`the request body is not valid YAML: ${d.errors[0].message}`);
  try {
    return d.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw badRequest(`the request body is not valid YAML: ${(e as Error).message}`);
  }
}
