/** What every request handler reads: the server's parts, wired once by startApiServer. */
import type { Logger } from '@virtsim/telemetry';
import type { Aggregator } from './aggregator.ts';
import type { Authenticator } from './auth.ts';
import type { Authorizer } from './authz.ts';
import type { Discovery } from './discovery.ts';
import type { FaultInjector } from './faults.ts';
import type { ListWatchConfig } from './list-watch.ts';
import type { ObjectService } from './objects.ts';
import type { OpenApi } from './openapi.ts';
import type { ResourceRegistry } from './resources.ts';
import type { WebhookAdmission } from './webhook-admission.ts';

export interface RequestMetrics {
  /** One answered request: counted, and its time from headers read to answer sent (watches are not timed). */
  observe(verb: string, resource: string, code: number, seconds: number): void;
}

export interface ServerState extends ListWatchConfig {
  registry: ResourceRegistry;
  objects: ObjectService;
  discovery: Discovery;
  openapi: OpenApi;
  auth: Authenticator;
  authz: Authorizer;
  log: Logger;
  audit: Logger | null;
  /** Whether get, list and watch are audited too. */
  auditReads: boolean;
  maxBodyBytes: number;
  serverAddress: () => string;
  metrics: RequestMetrics;
  metricsText: () => Promise<{ contentType: string; text: string }>;
  ready: () => boolean;
  /** With a durable store: settles once every write so far is on disk (null: already is); rejects with a 500/507 StatusError. */
  durable?: () => Promise<void> | null;
  /** Admission webhooks (unset, or inactive without configurations: writes skip them). */
  webhooks?: WebhookAdmission;
  /** APIServices with a backend: their paths are proxied (unset: nothing is). */
  aggregator?: Aggregator;
  /** The API fault mode (unset: off, the default). */
  faults?: FaultInjector;
}
