// One error for a failed Kubernetes API request, on both sides of the wire: the API server throws
// it and answers with its Status body; the client parses that body back into one and throws it.
// Like k8s.io/apimachinery's StatusError: the Status fields, nothing else.
import type { Status, StatusDetails, StatusReason } from './status.ts';

export interface StatusErrorOptions {
  /** The error that led to this one (kept in logs with its stack). */
  cause?: unknown;
  /** From Retry-After (429/503), when the server sent one. */
  retryAfterMs?: number;
}

/** A non-2xx answer of the API server, as its `Status`: `code` (the HTTP status), `reason`, message and details. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  /** HTTP status code (Status.code): 404, 409, 422, ... */
  readonly code: number;
  /** Status.reason: NotFound, Conflict, Invalid, ...; '' when the server gave none. */
  readonly reason: StatusReason | (string & {});
  readonly details: StatusDetails | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails, opts: StatusErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.retryAfterMs = opts.retryAfterMs;
  }

  /** The error a Status object describes. */
  static fromStatus(s: Pick<Status, 'code' | 'reason' | 'message' | 'details'>, opts: StatusErrorOptions = {}): StatusError {
    return new StatusError(s.code, s.reason ?? '', s.message, s.details, opts);
  }

  /**
   * Parses an HTTP answer with status `code`: a Status body gives the reason, message and details;
   * any other body (a proxy's error page) becomes the message, cut at 500 characters.
   */
  static parse(code: number, body: string, retryAfter?: string): StatusError {
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    const retryAfterMs = Number.isFinite(seconds) ? seconds * 1000 : undefined;
    const fallback = body.slice(0, 500) || `HTTP ${code}`;
    let s: Partial<Status> | undefined;
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) s = parsed as Partial<Status>;
    } catch {
      // not a Status object: the raw text is the message
    }
    return new StatusError(code, s?.reason ?? '', s?.message ?? fallback, s?.details, { retryAfterMs });
  }

  /** The Status body the API server answers with. */
  toStatus(): Status {
    // Fields in kube-apiserver's order (details before code), so answers compare byte for byte.
    const head = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason as StatusReason } as const;
    return this.details ? { ...head, details: this.details, code: this.code } : { ...head, code: this.code };
  }
}
