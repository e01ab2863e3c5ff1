import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

// A Prometheus configuration for the processes `virtsim up` started, written to its state dir so
// `prometheus --config.file=.virtsim/prometheus.yml` (and the dashboards in deploy/dashboards)
// work on a local run. Ports are those of the start: a child restarted on another metrics port
// is not followed.

export interface ScrapeTarget {
  /** The process, as `up` names it (watcher, agent-0, coordinator...). */
  process: string;
  /** host:port serving /metrics over HTTP. */
  address: string;
}

/** A process serving /metrics over HTTPS with a certificate of `caFile` (KubeVirt's components). */
export interface TlsScrapeTarget extends ScrapeTarget {
  caFile: string;
}

export function prometheusConfig(targets: ScrapeTarget[], apiServer: string | undefined, kubevirt: TlsScrapeTarget[] = []): string {
  const scrapeInterval = '5s';
  const jobs: Record<string, unknown>[] = [
    {
      job_name: 'virtsim',
      static_configs: targets.map((t) => ({ targets: [t.address], labels: { process: t.process } })),
    },
  ];
  // The embedded API server serves /metrics without credentials, over its self-signed TLS.
  if (apiServer) jobs.push({ job_name: 'apiserver', scheme: 'https', tls_config: { insecure_skip_verify: true }, static_configs: [{ targets: [apiServer], labels: { process: 'apiserver' } }] });
  // virt-api and virt-controller serve /metrics without credentials, with certificates of the CA
  // `up` made for them (valid for 127.0.0.1).
  for (const t of kubevirt) {
    jobs.push({ job_name: t.process, scheme: 'https', tls_config: { ca_file: t.caFile }, static_configs: [{ targets: [t.address], labels: { process: t.process } }] });
  }
  return stringify({ global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval }, scrape_configs: jobs });
}

export function writePrometheusConfig(file: string, targets: ScrapeTarget[], apiServer: string | undefined, kubevirt: TlsScrapeTarget[] = []): void {
  writeFileSync(file, prometheusConfig(targets, apiServer, kubevirt));
}
