/** A non-2xx answer from the API server, carrying its Status fields. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: unknown;
  /** From Retry-After (429/503), when the server sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, reason: string, message: string, body: unknown, retryAfterMs?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }

  static fromResponse(status: number, text: string, retryAfter: string | undefined): ApiError {
    let body: unknown = text;
    let reason = '';
    let message = text.slice(0, 500) || `HTTP ${status}`;
    try {
      const s = JSON.parse(text) as { reason?: string; message?: string };
      body = s;
      reason = s.reason ?? '';
      message = s.message ?? message;
    } catch {
      // not a Status object; keep the raw text
    }
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    return new ApiError(status, reason, message, body, Number.isFinite(seconds) ? seconds * 1000 : undefined);
  }
}

/** Transient answers a write retries with backoff: throttling, server errors, timeouts. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 429 || err.status >= 500 || err.status === 408;
  // Network errors (ECONNREFUSED, ECONNRESET, socket timeouts) are transient too.
  return err instanceof Error && 'code' in err;
}
