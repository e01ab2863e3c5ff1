import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WatchedProcess } from './process-stats.ts';

/** The head of a log file: the start lines name the pid and, for agents, the /metrics URL. */
function head(path: string, bytes = 64 * 1024): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A `virtsim up` on this machine, found from its state dir (the folder of its kubeconfig): its
 * processes (from the pids their logs start with) and its agents' /metrics URLs. Lets a load test
 * run with `--kubeconfig .virtsim/kubeconfig` sample them as `--up` does. Nothing for other clusters.
 */
export function discoverLocalFleet(kubeconfig: string): { processes: WatchedProcess[]; metricsUrls: string[] } {
  const logs = join(dirname(kubeconfig), 'logs');
  const processes: WatchedProcess[] = [];
  const metricsUrls: string[] = [];
  if (!existsSync(logs)) return { processes, metricsUrls };
  for (const file of readdirSync(logs).filter((f) => f.endsWith('.log')).sort()) {
    const text = head(join(logs, file));
    const pid = Number(/"pid":(\d+)/.exec(text)?.[1] ?? /^\[(\d+)\]/m.exec(text)?.[1]);
    if (!pid || !alive(pid)) continue;
    processes.push({ name: file.slice(0, -'.log'.length), pid: () => pid });
    const metrics = /"metrics":"(http:\/\/[^"]+\/metrics)"[^\n]*"msg":"agent started"/.exec(text)?.[1];
    if (metrics) metricsUrls.push(metrics);
  }
  return { processes, metricsUrls };
}
