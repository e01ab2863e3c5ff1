import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusConfig, writePrometheusConfig } from './prometheus-config.ts';

interface Job {
  job_name: string;
  scheme?: string;
  tls_config?: { ca_file?: string; insecure_skip_verify?: boolean };
  static_configs: { targets: string[]; labels: { process: string } }[];
}

describe('the prometheus.yml of virtsim up', () => {
  it('scrapes the fleet over HTTP, the API server over its self-signed TLS and KubeVirt with its CA', () => {
    const yml = parse(
      prometheusConfig([{ process: 'watcher', address: '127.0.0.1:9001' }, { process: 'agent-0', address: '127.0.0.1:9002' }], '127.0.0.1:6443', [
        { process: 'virt-controller', address: '127.0.0.1:9100', caFile: '/state/kubevirt/pki/ca.crt' },
      ]),
    ) as { scrape_configs: Job[] };
    const jobs = Object.fromEntries(yml.scrape_configs.map((j) => [j.job_name, j]));
    expect(Object.keys(jobs)).toEqual(['virtsim', 'apiserver', 'virt-controller']);
    expect(jobs.virtsim.scheme).toBeUndefined();
    expect(jobs.virtsim.static_configs.map((s) => [s.targets[0], s.labels.process])).toEqual([
      ['127.0.0.1:9001', 'watcher'],
      ['127.0.0.1:9002', 'agent-0'],
    ]);
    expect(jobs.apiserver.tls_config).toEqual({ insecure_skip_verify: true });
    expect(jobs['virt-controller']).toMatchObject({ scheme: 'https', tls_config: { ca_file: '/state/kubevirt/pki/ca.crt' } });
    expect(jobs['virt-controller'].static_configs[0].targets).toEqual(['127.0.0.1:9100']);
  });

  it('is a configuration Debian\'s promtool accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtsim-prom-'));
    writeFileSync(join(dir, 'ca.crt'), '');
    const file = join(dir, 'prometheus.yml');
    writePrometheusConfig(file, [{ process: 'watcher', address: '127.0.0.1:9001' }], '127.0.0.1:6443', [
      { process: 'virt-api', address: '127.0.0.1:9100', caFile: join(dir, 'ca.crt') },
    ]);
    expect(execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' })).toContain('SUCCESS');
  });
});
