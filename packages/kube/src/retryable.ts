import { StatusError } from '@virtsim/apimachinery/status-error';

/** Transient answers a write retries with backoff: throttling, server errors, timeouts. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof StatusError) return err.code === 429 || err.code >= 500 || err.code === 408;
  // Network errors (ECONNREFUSED, ECONNRESET, socket timeouts) are transient too.
  return err instanceof Error && 'code' in err;
}
