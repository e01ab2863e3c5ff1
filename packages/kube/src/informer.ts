import type { Logger } from 'pino';
import { StatusError } from '@virtsim/apimachinery/status-error';
import { Backoff, sleep } from './backoff.ts';
import type { KubeClient } from './client.ts';
import { objectKey, type KubeObject, type WatchEventType } from './object.ts';
import { collectionPath, type ResourceRef } from './resources.ts';

export interface InformerOptions {
  resource: ResourceRef;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per LIST page. */
  pageSize?: number;
  /** Server-side watch timeout: the watch is renewed from the last resourceVersion after it. */
  watchTimeoutSeconds?: number;
  /** Applied to every object before it is stored (e.g. drop managedFields). */
  transform?: (obj: KubeObject) => KubeObject;
  /**
   * What the store keeps of each (transformed) object, when its reader needs less than onEvent
   * does (default: all of it). A relist's DELETED events carry what the store kept.
   */
  retain?: (obj: KubeObject) => KubeObject;
  log: Logger;
  /**
   * `text`: the object's JSON exactly as the watch line carried it (before `transform`), when the
   * line has the usual `{"type":T,"object":{...}}` shape; absent for events from a relist.
   */
  onEvent: (type: WatchEventType, obj: KubeObject, text?: string) => void;
  /** After every complete LIST (the first sync and each relist after 410 Gone). */
  onSynced?: (resourceVersion: string) => void;
  /**
   * List by watching (`sendInitialEvents`, KEP-3157): the state arrives as the first events of the
   * watch that then carries on, so a relist leaves no gap for the server's event window to outrun.
   * Default true; a server that refuses it (400/422: before 1.27, or the WatchList gate off) is
   * listed in pages instead.
   */
  streamingList?: boolean;
}

/** The bookmark annotation that ends a watch's initial events. */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

class GoneError extends Error {}
/** A watch asked for its initial events streamed that carries on as a plain one (the ask ignored). */
class NoStreamingListError extends Error {}

/**
 * A thin informer: a streaming list (a watch that starts with the current state) or, where the
 * server has none, a paginated LIST and then a WATCH from its resourceVersion; bookmarks; on 410
 * Gone a relist diffed against the store (vanished objects are emitted as DELETED); on any other
 * error a jittered backoff and a retry, forever. client-node's informer lists unpaginated, never
 * asks for bookmarks and stops on errors, which is wrong at our scale (a 100k-object relist in one
 * answer, and a watch that dies for good on the first 410).
 */
export class Informer {
  readonly store = new Map<string, KubeObject>();
  private rv = '';
  private synced = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private readonly opts: InformerOptions;
  private readonly client: KubeClient;
  private readonly backoff = new Backoff(200, 30_000);
  /** Whether the current watch has delivered a line: a stream that was serving and then dropped. */
  private watchDelivered = false;
  private streamingList: boolean;
  /** While a streaming list is under way: the state so far, applied at its end bookmark. */
  private initial: Map<string, KubeObject> | null = null;

  constructor(client: KubeClient, opts: InformerOptions) {
    this.client = client;
    this.opts = opts;
    this.streamingList = opts.streamingList ?? true;
  }

  get resourceVersion(): string {
    return this.rv;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { log, resource } = this.opts;
    while (!this.abort.signal.aborted) {
      try {
        const streaming = !this.rv && this.streamingList;
        if (!this.rv && !streaming) await this.relist();
        this.watchDelivered = false;
        await this.watch(streaming);
        this.backoff.reset();
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (err instanceof NoStreamingListError || (this.initial && err instanceof StatusError && (err.code === 400 || err.code === 422))) {
          log.info({ resource: resource.resource, err: err.message }, 'the server does not stream lists (sendInitialEvents), listing in pages');
          this.streamingList = false;
          continue;
        }
        if (err instanceof GoneError || (err instanceof StatusError && err.code === 410)) {
          log.info({ resource: resource.resource, rv: this.rv }, 'watch window expired (410 Gone), relisting');
          this.rv = '';
          continue;
        }
        // A watch that was serving and then dropped (the server closed it for falling behind, a cut
        // connection) resumes after the first step, as client-go re-watches at once: a backoff that
        // grew over repeated drops left the informer deaf for up to 30 s, and then its resume point
        // had left the server's window (410, a whole relist).
        if (this.watchDelivered) this.backoff.reset();
        const delay = this.backoff.next();
        log.warn({ err, resource: resource.resource, retryInMs: Math.round(delay) }, 'list/watch failed, retrying');
        await sleep(delay, this.abort.signal);
      } finally {
        this.initial = null;
      }
    }
  }

  private retained(obj: KubeObject): KubeObject {
    return this.opts.retain ? this.opts.retain(obj) : obj;
  }

  private async relist(): Promise<void> {
    const { resource, pageSize = 500 } = this.opts;
    const seen = new Map<string, KubeObject>();
    let cont: string | undefined;
    let listRv = '';
    do {
      const page = await this.client.request<{ metadata: { resourceVersion: string; continue?: string }; items: KubeObject[] }>({
        method: 'GET',
        path: collectionPath(resource),
        query: { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, limit: pageSize, continue: cont },
        signal: this.abort.signal,
      });
      for (const item of page.items) {
        if (!item?.metadata?.name) {
          this.opts.log.warn({ resource: resource.resource }, 'listed item without metadata.name skipped');
          continue;
        }
        // LIST items carry no apiVersion/kind; consumers route on kind, so restore them.
        item.apiVersion ??= resource.group ? `${resource.group}/${resource.version}` : resource.version;
        item.kind ??= resource.kind;
        const obj = this.opts.transform ? this.opts.transform(item) : item;
        seen.set(objectKey(obj), obj);
      }
      cont = page.metadata.continue || undefined;
      listRv = page.metadata.resourceVersion;
    } while (cont);
    this.replaceAll(seen, listRv);
  }

  /** Makes the store the listed state: what left it is emitted as DELETED, what changed as MODIFIED. */
  private replaceAll(seen: Map<string, KubeObject>, listRv: string): void {
    for (const [key, old] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.opts.onEvent('DELETED', old);
      }
    }
    for (const [key, obj] of seen) {
      const old = this.store.get(key);
      this.store.set(key, this.retained(obj));
      if (!old) this.opts.onEvent('ADDED', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.opts.onEvent('MODIFIED', obj);
    }
    this.rv = listRv;
    this.synced = true;
    this.opts.onSynced?.(listRv);
  }

  /** `streaming`: from the current state, sent first as ADDED events (a streaming list). */
  private async watch(streaming: boolean): Promise<void> {
    const { resource, watchTimeoutSeconds = 300 } = this.opts;
    this.initial = streaming ? new Map() : null;
    await this.client.stream(
      {
        path: collectionPath(resource),
        query: {
          watch: true,
          resourceVersion: this.rv,
          sendInitialEvents: streaming || undefined,
          resourceVersionMatch: streaming ? 'NotOlderThan' : undefined,
          allowWatchBookmarks: true,
          timeoutSeconds: watchTimeoutSeconds,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
        },
        signal: this.abort.signal,
      },
      (line) => this.onWatchLine(line),
    );
  }

  private onWatchLine(line: string): void {
    this.watchDelivered = true;
    let ev: { type: string; object: KubeObject & { code?: number } };
    try {
      ev = JSON.parse(line);
    } catch {
      this.opts.log.warn({ resource: this.opts.resource.resource, line: line.slice(0, 200) }, 'unparsable watch line skipped');
      return;
    }
    if (ev.type === 'ERROR') {
      if (ev.object?.code === 410) throw new GoneError('410 Gone');
      throw new Error(`watch error: ${JSON.stringify(ev.object).slice(0, 300)}`);
    }
    const rv = ev.object?.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (this.initial) {
        // Until the state is complete, a resume point would skip what is still to come.
        if (ev.object.metadata.annotations?.[INITIAL_EVENTS_END] !== 'true' || !rv) throw new NoStreamingListError('a bookmark before the initial-events-end one');
        const state = this.initial;
        this.initial = null;
        this.replaceAll(state, rv);
      } else if (rv) this.rv = rv;
      return;
    }
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
    if (!ev.object?.metadata?.name) {
      this.opts.log.warn({ resource: this.opts.resource.resource, type: ev.type }, 'watch event without metadata.name skipped');
      return;
    }
    const obj = this.opts.transform ? this.opts.transform(ev.object) : ev.object;
    const key = objectKey(obj);
    if (this.initial) {
      if (ev.type !== 'ADDED') throw new NoStreamingListError(`a ${ev.type} event before the initial-events-end bookmark`);
      this.initial.set(key, obj);
      return;
    }
    if (ev.type === 'DELETED') this.store.delete(key);
    else this.store.set(key, this.retained(obj));
    if (rv) this.rv = rv;
    this.opts.onEvent(ev.type, obj, objectText(line, ev.type));
  }
}

/** The object's own JSON inside a watch line, so a forwarder need not serialize it again. */
function objectText(line: string, type: string): string | undefined {
  const prefix = `{"type":"${type}","object":`;
  return line.startsWith(prefix) && line.endsWith('}') ? line.slice(prefix.length, -1) : undefined;
}
