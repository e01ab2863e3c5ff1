/** Writing answers: a body with its content type, and a Status for an error. */
import type { ServerResponse } from 'node:http';
import type { StatusError } from './status.ts';

export function send(res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  res.statusCode = code;
  res.setHeader('content-type', contentType);
  res.end(body);
}

/** The error's Status; after the headers went out (a watch), the answer just ends. */
export function sendError(res: ServerResponse, e: StatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  // As kube's ErrorNegotiated: a Status that asks for a delay says so in Retry-After too (client-go waits on it).
  const after = e.details?.retryAfterSeconds;
  if (after && after > 0) res.setHeader('retry-after', String(after));
  send(res, e.code, JSON.stringify(e.toStatus()));
}
