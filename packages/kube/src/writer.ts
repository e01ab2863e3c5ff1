import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { StatusError } from '@virtsim/apimachinery/status-error';
import { isRetryable } from './retryable.ts';
import { Backoff, sleep } from './backoff.ts';
import type { Impersonation, KubeClient } from './client.ts';
import { Semaphore } from './semaphore.ts';
import { writerMetrics, type WriterMetrics } from './writer-metrics.ts';

const tracer = trace.getTracer('virtsim-kube');

export interface WriteRequest {
  /** The object's key (namespace/name or name), for logs and errors. */
  key: string;
  /** Resource plural, a metrics label. */
  resource: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  impersonate?: Impersonation;
  /** The caller does not use the answer (an Event POST): the result's body is left undefined, unparsed. */
  ignoreResponseBody?: boolean;
  /** Served before queued non-urgent writes (node heartbeats: a late one marks the node NotReady). */
  urgent?: boolean;
  /**
   * For a create whose name the server generates (metadata.generateName, no name): its retry never
   * meets 409 AlreadyExists, it makes a second object. So after an attempt that may have been
   * applied, find() is asked before the next one: the object that attempt created (the write ends
   * 'exists' with it as body), or undefined when there is none and the create may go again. Asked
   * again after a retryable failure of its own. Such a create without find() is not retried after
   * an uncertain failure: the failure is thrown, and the caller's expectations decide.
   */
  find?: () => Promise<unknown>;
}

export type WriteResult =
  | { outcome: 'done'; body: unknown }
  /** 404: the object is gone; nothing to do (also a retried DELETE whose earlier attempt deleted it). */
  | { outcome: 'gone' }
  /**
   * A create (POST) retried after an attempt whose answer was lost (a timeout, a 5xx, a dropped
   * connection: the server may have applied it) met 409 AlreadyExists: most likely that attempt
   * created it. The caller treats it as created, without the answer's object (its watch brings it).
   * For a generateName create, the object its find() found (see WriteRequest.find) is the body.
   */
  | { outcome: 'exists'; body?: unknown };

export interface WriterOptions {
  concurrency?: number;
  /**
   * Which write lane this is, a label of the queue gauge (default 'default'). Writers of one
   * process that must not wait for each other (the node agent's Lease renewals, as the kubelet's
   * separate heartbeat client, beside its stage writes) are separate Writers, one per lane.
   */
  lane?: string;
  log: Logger;
  registry?: Registry;
  /** Stops retrying (the caller is shutting down): pending writes reject. */
  signal?: AbortSignal;
  /**
   * Asked right before each attempt (a queued write may have waited, a retry slept): a reason
   * when no write may go now (the agent is fenced: its slots may be someone else's), and the write
   * is dropped with a WriteAbortedError; undefined when it may go.
   */
  gate?: () => string | undefined;
}

export class WriteAbortedError extends Error {}

/**
 * Executes API writes with bounded concurrency. Transient failures (429 with Retry-After, 5xx,
 * timeouts, connection errors) are retried with backoff until they succeed: a write is never
 * dropped. A 409 Conflict and other 4xx answers are thrown to the caller, which re-plans from the
 * newer object (conflict) or counts and logs a permanent refusal.
 *
 * A failed attempt may still have been applied (the server timed out after committing it), so a
 * retry can meet the write's own result: a DELETE gets 404 ('gone', as any 404), a create gets 409
 * AlreadyExists, which after such an attempt is 'exists' rather than an error (thrown only when no
 * earlier attempt can have created it). A PATCH or PUT with a resourceVersion precondition gets
 * 409 Conflict, thrown: the caller re-plans from the newer version, its own.
 */
export class Writer {
  private readonly sem: Semaphore;
  private readonly client: KubeClient;
  private readonly opts: WriterOptions;
  private readonly metrics?: WriterMetrics;

  constructor(client: KubeClient, opts: WriterOptions) {
    this.client = client;
    this.opts = opts;
    this.sem = new Semaphore(opts.concurrency ?? 32);
    if (opts.registry) {
      this.metrics = writerMetrics(opts.registry);
      this.metrics.addQueue(opts.lane ?? 'default', this.sem);
    }
  }

  async write(req: WriteRequest): Promise<WriteResult> {
    const backoff = new Backoff(100, 10_000);
    // An earlier attempt failed in a way that may have left the write applied.
    let mayBeApplied = false;
    for (;;) {
      if (this.opts.signal?.aborted) throw new WriteAbortedError(`write to ${req.key} aborted by shutdown`);
      if (mayBeApplied && req.find) {
        const found = await this.findEarlier(req, req.find, backoff);
        if (found !== undefined) return { outcome: 'exists', body: found };
      }
      let failure: unknown;
      await this.sem.acquire(req.urgent);
      const refused = this.opts.gate?.();
      if (refused !== undefined) {
        this.sem.release();
        throw new WriteAbortedError(`write to ${req.key} dropped: ${refused}`);
      }
      const end = this.metrics?.latency.startTimer({ resource: req.resource, verb: req.method.toLowerCase() });
      const span = tracer.startSpan(`${req.method} ${req.resource}`, {
        attributes: { 'http.request.method': req.method, 'k8s.resource': req.resource, 'k8s.object': req.key, 'virtsim.attempt': backoff.attempts + 1 },
      });
      try {
        const body = await this.client.request({
          method: req.method,
          path: req.path,
          query: req.query,
          body: req.body,
          contentType: req.contentType,
          impersonate: req.impersonate,
          ignoreResponseBody: req.ignoreResponseBody,
        });
        return { outcome: 'done', body };
      } catch (err) {
        failure = err;
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        if (err instanceof StatusError) span.setAttribute('http.response.status_code', err.code);
      } finally {
        span.end();
        end?.();
        this.sem.release();
      }
      const code = failure instanceof StatusError ? failure.code : 0;
      this.metrics?.errors.inc({ resource: req.resource, verb: req.method.toLowerCase(), code: String(code) });
      if (code === 404) return { outcome: 'gone' };
      if (mayBeApplied && req.method === 'POST' && failure instanceof StatusError && failure.code === 409 && failure.reason === 'AlreadyExists') {
        this.opts.log.info({ key: req.key, resource: req.resource }, 'create retried after a lost answer found the object there: taken as created');
        return { outcome: 'exists' };
      }
      if (!isRetryable(failure)) throw failure;
      // A 429 or a refused connection comes before anything was done; a 5xx, a timeout or a dropped connection may come after.
      if (code !== 429 && (failure as { code?: unknown }).code !== 'ECONNREFUSED') mayBeApplied = true;
      if (mayBeApplied && !req.find && generatesName(req)) throw failure;
      const delay = failure instanceof StatusError && failure.retryAfterMs !== undefined ? failure.retryAfterMs : backoff.next();
      this.metrics?.retries.inc({ resource: req.resource });
      if (backoff.attempts > 3) {
        this.opts.log.warn(
          { key: req.key, resource: req.resource, code, err: failure, retryInMs: Math.round(delay) },
          'write failing, retrying',
        );
      }
      await sleep(delay, this.opts.signal);
    }
  }

  /** After an attempt that may have created a generateName object: what find() says, asked until it answers. */
  private async findEarlier(req: WriteRequest, find: () => Promise<unknown>, backoff: Backoff): Promise<unknown> {
    for (;;) {
      try {
        const found = await find();
        if (found !== undefined) this.opts.log.info({ key: req.key, resource: req.resource }, 'a create whose answer was lost made its object: taken as created, not retried');
        return found;
      } catch (err) {
        if (!isRetryable(err)) throw err;
        const delay = backoff.next();
        this.opts.log.warn({ key: req.key, resource: req.resource, err, retryInMs: Math.round(delay) }, 'looking for the object of a create whose answer was lost failed, retrying');
        await sleep(delay, this.opts.signal);
      }
    }
  }
}

/** A create whose object's name the server generates: a retry cannot meet 409 AlreadyExists. */
function generatesName(req: WriteRequest): boolean {
  const md = (req.body as { metadata?: { name?: unknown; generateName?: unknown } } | undefined)?.metadata;
  return req.method === 'POST' && !md?.name && !!md?.generateName;
}
