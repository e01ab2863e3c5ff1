import type { Dispatcher } from 'undici';

export interface BufferedResponse {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

/**
 * Collects a whole (small) answer straight from undici's dispatch callbacks. pool.request() would
 * wrap every answer in a Readable stream and its promise plumbing, which for the agent's thousands
 * of short JSON answers costs more CPU than reading them does.
 */
export function dispatchBuffered(pool: Dispatcher, opts: Dispatcher.DispatchOptions, signal: AbortSignal | undefined): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let retryAfter: string | undefined;
    const chunks: Buffer[] = [];
    // The signal can fire while the request still waits for a connection (no controller yet).
    const onAbort = () => controller?.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (signal?.aborted) c.abort(signal.reason);
      },
      onResponseStart(_c, statusCode, headers) {
        status = statusCode;
        const ra = headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
      },
      onResponseData(_c, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        done();
        const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve({ status, retryAfter, text });
      },
      onResponseError(_c, err) {
        done();
        reject(err);
      },
    };
    try {
      pool.dispatch(opts, handler);
    } catch (err) {
      done();
      reject(err);
    }
  });
}
