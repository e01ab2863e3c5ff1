import { formatMs } from './durations.ts';
import type { PhaseProgress } from './run-context.ts';
import type { Sample } from './sampler.ts';

export type LiveMode = 'tty' | 'lines' | 'quiet';

const ORDER = ['Unknown', 'Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Deleted'];

function byPhase(p: Record<string, number>): string {
  return Object.entries(p)
    .sort(([a], [b]) => (ORDER.indexOf(a) + 99) % 99 - (ORDER.indexOf(b) + 99) % 99 || a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** The progress line: a bar on a terminal, a plain line every few seconds otherwise, nothing with --json. */
export class LiveView {
  private readonly mode: LiveMode;
  private readonly out: NodeJS.WriteStream;
  private lastLineAt = 0;
  private prev: Sample | undefined;
  private readonly lineEveryMs: number;

  constructor(mode: LiveMode, out: NodeJS.WriteStream = process.stdout, lineEveryMs = 5000) {
    this.mode = mode;
    this.out = out;
    this.lineEveryMs = lineEveryMs;
  }

  /** A message between updates (phase start and end). */
  say(line: string): void {
    if (this.mode === 'quiet') return;
    this.out.write(this.mode === 'tty' ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  update(s: Sample, progress: PhaseProgress): void {
    if (this.mode === 'quiet') return;
    const prev = this.prev;
    this.prev = s;
    const rate = prev && s.t > prev.t && prev.phase === s.phase ? (s.done - prev.done) / (s.t - prev.t) : 0;
    const left = progress.total - progress.done;
    const eta = rate > 0 ? formatMs((left / rate) * 1000) : '-';
    const asked = progress.qps > 0 ? ` (asked ${progress.qps}/s)` : '';
    const tail = `${progress.done}/${progress.total} ${rate.toFixed(1)}/s${asked} ETA ${eta} | ${byPhase(s.vmisByPhase)}${s.oldestLeaseAgeSeconds != null ? ` | oldest lease ${s.oldestLeaseAgeSeconds}s` : ''}`;
    if (this.mode === 'tty') {
      const width = 24;
      const filled = progress.total ? Math.round((progress.done / progress.total) * width) : 0;
      const cols = this.out.columns ?? 160;
      this.out.write(`\r\x1b[K${`${progress.phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${tail}`.slice(0, cols - 1)}`);
      return;
    }
    const now = Date.now();
    if (now - this.lastLineAt < this.lineEveryMs) return;
    this.lastLineAt = now;
    this.out.write(`[${s.t.toFixed(0)}s] ${progress.phase} ${tail}\n`);
  }

  end(): void {
    if (this.mode === 'tty') this.out.write('\r\x1b[K');
  }
}
