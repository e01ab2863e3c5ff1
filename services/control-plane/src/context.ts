import type { Impersonation, KubeClient, Writer } from '@virtsim/kube';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ObjectCache } from './object-cache.ts';

/** The identity virt-controller writes as; the embedded server reverts VMI status by anyone else. */
export const KUBEVIRT_CONTROLLER: Impersonation = { user: 'system:serviceaccount:kubevirt:kubevirt-controller' };

export interface Caches {
  nodes: ObjectCache;
  pods: ObjectCache;
  vmis: ObjectCache;
  vms: ObjectCache;
  vmims: ObjectCache;
}

/** What every controller shares: the API, the informer caches, logs and metrics. */
export interface ControllerContext {
  client: KubeClient;
  writer: Writer;
  caches: Caches;
  log: Logger;
  registry: Registry;
  /** virt-launcher image the launcher pods run (launcherContainerImageVersion). */
  launcherImage: string;
}
