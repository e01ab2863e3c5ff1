import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

// The local span store: finished spans as JSON lines in a folder (`virtsim up` uses
// <state-dir>/traces), one file per process so no two writers share a file. Bounded: a file
// that passes maxFileBytes is rotated to <name>.1 (the older .1 is dropped), and the folder
// keeps at most maxFiles files (oldest removed when a process starts).

/** One span as stored: times in epoch milliseconds (fractional). */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  start: number;
  end: number;
  attributes: Record<string, string | number | boolean>;
  error?: string;
}

export interface SpanStoreOptions {
  dir: string;
  /** Names this process's file (`<service>-<pid>.jsonl`). */
  service: string;
  maxFileBytes?: number;
  maxFiles?: number;
}

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

export function toStoredSpan(span: ReadableSpan): StoredSpan {
  const sc = span.spanContext();
  const attributes: StoredSpan['attributes'] = {};
  for (const [k, v] of Object.entries(span.attributes)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attributes[k] = v;
  }
  return {
    traceId: sc.traceId,
    spanId: sc.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    service: String(span.resource.attributes['service.name'] ?? 'unknown'),
    start: hrMs(span.startTime),
    end: hrMs(span.endTime),
    attributes,
    ...(span.status.code === 2 ? { error: span.status.message ?? 'error' } : {}),
  };
}

/** A SpanExporter appending to this process's file of the store. */
export class FileSpanExporter implements SpanExporter {
  private readonly file: string;
  private size = 0;
  private readonly maxFileBytes: number;

  constructor(opts: SpanStoreOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.file = join(opts.dir, `${opts.service}-${process.pid}.jsonl`);
    this.maxFileBytes = opts.maxFileBytes ?? 16 * 1024 * 1024;
    prune(opts.dir, opts.maxFiles ?? 64);
  }

  export(spans: ReadableSpan[], done: (result: { code: number; error?: Error }) => void): void {
    try {
      const text = spans.map((s) => JSON.stringify(toStoredSpan(s))).join('\n') + '\n';
      // Synchronous: a batch is small, and spans must be on disk when the process exits.
      appendFileSync(this.file, text);
      this.size += Buffer.byteLength(text);
      if (this.size > this.maxFileBytes) {
        renameSync(this.file, `${this.file}.1`);
        this.size = 0;
      }
      done({ code: 0 });
    } catch (err) {
      done({ code: 1, error: err as Error });
    }
  }

  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

const isStoreFile = (f: string) => f.endsWith('.jsonl') || f.endsWith('.jsonl.1');

function prune(dir: string, maxFiles: number): void {
  const files = readdirSync(dir)
    .filter(isStoreFile)
    .map((f) => ({ f, mtime: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
  // Room for this process's file.
  for (const { f } of files.slice(0, Math.max(0, files.length - maxFiles + 1))) unlinkSync(join(dir, f));
}

/**
 * Every span in the store (only the lines `keep` accepts, before parsing: a big store is read
 * for a few traces); a torn last line (a killed process) is skipped.
 */
export function readSpanStore(dir: string, keep?: (line: string) => boolean): StoredSpan[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter(isStoreFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const spans: StoredSpan[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line || (keep && !keep(line))) continue;
      try {
        spans.push(JSON.parse(line) as StoredSpan);
      } catch {
        // torn line
      }
    }
  }
  return spans;
}
