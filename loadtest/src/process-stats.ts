import { readFileSync } from 'node:fs';

/** A local process whose CPU and memory the run samples (the embedded cluster's, and the load test's own). */
export interface WatchedProcess {
  name: string;
  pid: () => number | undefined;
}

export interface ProcessSample {
  /** Share of one core since the previous sample (100 = one core busy). */
  cpuPercent: number;
  rssMiB: number;
  /**
   * Proportional set size: shared pages (the Node binary's, about 56 MiB in each Node process) are
   * divided among the processes that map them, so PSS adds up to the memory the fleet really
   * takes, where a sum of RSS counts them once per process. Absent where the kernel does not say.
   */
  pssMiB?: number;
  /** CPU seconds used since the run started watching it. */
  cpuSeconds: number;
}

// Linux's USER_HZ: 100 on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

function readCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return undefined;
  }
}

function readRssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

function readPssMiB(pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU and RSS of local processes from /proc, per sample; processes that restart are followed by pid. */
export class ProcessStats {
  private readonly procs: WatchedProcess[];
  private readonly last = new Map<string, { pid: number; ticks: number; at: number; base: number }>();
  private readonly total = new Map<string, number>();
  private readonly peakRss = new Map<string, number>();

  constructor(procs: WatchedProcess[]) {
    this.procs = procs;
  }

  sample(): Record<string, ProcessSample> {
    const out: Record<string, ProcessSample> = {};
    const now = performance.now();
    for (const p of this.procs) {
      const pid = p.pid();
      if (!pid) continue;
      const ticks = readCpuTicks(pid);
      const rss = readRssMiB(pid);
      if (ticks === undefined || rss === undefined) continue;
      const prev = this.last.get(p.name);
      let cpuPercent = 0;
      if (prev && prev.pid === pid) {
        const dt = (now - prev.at) / 1000;
        cpuPercent = dt > 0 ? Math.round(((ticks - prev.ticks) / TICKS_PER_SECOND / dt) * 1000) / 10 : 0;
        this.total.set(p.name, (this.total.get(p.name) ?? 0) + (ticks - prev.ticks) / TICKS_PER_SECOND);
      }
      this.last.set(p.name, { pid, ticks, at: now, base: prev?.base ?? ticks });
      this.peakRss.set(p.name, Math.max(this.peakRss.get(p.name) ?? 0, rss));
      const pss = readPssMiB(pid);
      out[p.name] = { cpuPercent, rssMiB: rss, ...(pss === undefined ? {} : { pssMiB: pss }), cpuSeconds: Math.round((this.total.get(p.name) ?? 0) * 100) / 100 };
    }
    return out;
  }

  /** Per process: CPU seconds over the run and peak RSS. */
  totals(): Record<string, { cpuSeconds: number; peakRssMiB: number }> {
    const out: Record<string, { cpuSeconds: number; peakRssMiB: number }> = {};
    for (const p of this.procs) {
      if (!this.peakRss.has(p.name)) continue;
      out[p.name] = { cpuSeconds: Math.round((this.total.get(p.name) ?? 0) * 100) / 100, peakRssMiB: this.peakRss.get(p.name) ?? 0 };
    }
    return out;
  }
}
