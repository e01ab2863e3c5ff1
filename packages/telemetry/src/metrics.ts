import { Registry, collectDefaultMetrics } from 'prom-client';

/** A registry per process, with Node's default process metrics under the virtsim_ prefix-free names. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
