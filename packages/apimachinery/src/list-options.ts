// List/watch query rules (ListOptions validation) and continue tokens, as kube-apiserver has them.
import type { FieldError } from './errors.ts';
import { fieldErrors } from './errors.ts';

export interface ListOptionsInput {
  watch?: boolean;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  continue?: string;
  limit?: number;
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
}

/**
 * metainternalversion validation.ValidateListOptions (watch list feature on). A failure is answered
 * 422 as `ListOptions.meta.k8s.io "" is invalid: ...` (statusErrors.invalid({group:'meta.k8s.io', kind:'ListOptions'}, '', errs)).
 */
export function validateListOptions(o: ListOptionsInput): FieldError[] {
  const errs: FieldError[] = [];
  const match = o.resourceVersionMatch ?? '';
  if (o.watch) {
    if (o.sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan') {
        errs.push(fieldErrors.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      }
    }
    if (match) {
      if (o.sendInitialEvents === undefined) {
        errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      }
      if (match !== 'NotOlderThan') errs.push(fieldErrors.notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (o.continue) errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return errs;
  }
  if (match) {
    if (!o.resourceVersion) errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue) errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(fieldErrors.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && o.resourceVersion === '0') {
      errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (o.sendInitialEvents !== undefined) errs.push(fieldErrors.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/** A decoded continue token: the list's resourceVersion and the key to start after. */
export interface ContinueToken {
  resourceVersion: number;
  /** Storage key to resume from (inclusive), as etcd3 does: the last returned key + "\u0000". */
  start: string;
}

const CONTINUE_VERSION = 'meta.k8s.io/v1';

/** etcd3-style continue token: base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"key"}. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: CONTINUE_VERSION, rv: token.resourceVersion, start: token.start })).toString('base64url');
}

/** Decodes a continue token; throws Error with kube-apiserver's text (answered 400 BadRequest). */
export function decodeContinue(s: string): ContinueToken {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw new Error('continue key is not valid: illegal base64 data or malformed JSON');
  }
  const o = raw as { v?: unknown; rv?: unknown; start?: unknown };
  if (o?.v !== CONTINUE_VERSION) throw new Error(`continue key is not valid: server does not recognize this encoded version "${String(o?.v)}"`);
  if (typeof o.rv !== 'number' || !Number.isInteger(o.rv) || o.rv <= 0) {
    throw new Error(`continue key is not valid: incorrect encoded start resourceVersion (version ${CONTINUE_VERSION})`);
  }
  if (typeof o.start !== 'string' || o.start.length === 0) throw new Error('continue key is not valid: encoded start key empty');
  return { resourceVersion: o.rv, start: o.start };
}
