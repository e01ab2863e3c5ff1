import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';

/**
 * The audit log, off by default: one line per write costs the API server a JSON encode and a
 * write per request (468 MB over a 10,000-node load run). On with `--audit-log-path` like
 * kube-apiserver: "-" writes into the process log, a file is rotated at maxSize bytes keeping
 * maxBackups older files (FILE.1 newest).
 */
export interface AuditLogOptions {
  /** "-" = the process log (stdout); otherwise a file. */
  path: string;
  /** Bytes after which the file is rotated (default 100 MiB). */
  maxSizeBytes?: number;
  /** Rotated files kept (default 1). */
  maxBackups?: number;
  /** Reads (get, list, watch) too, not only writes: what a least-privilege check needs. */
  reads?: boolean;
}

/** Appends lines to a file, renaming it to FILE.1 (FILE.1 to FILE.2, ...) once it passes the size. */
export class RotatingFile {
  private fd: number;
  private size: number;
  private readonly path: string;
  private readonly maxSize: number;
  private readonly maxBackups: number;

  constructor(path: string, maxSize: number, maxBackups: number) {
    this.path = path;
    this.maxSize = maxSize;
    this.maxBackups = maxBackups;
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
  }

  /** pino's destination interface: synchronous, so a line is never half-rotated. */
  write(line: string): boolean {
    if (this.size > 0 && this.size + Buffer.byteLength(line) > this.maxSize) this.rotate();
    this.size += writeSync(this.fd, line);
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    if (this.maxBackups < 1) rmSync(this.path, { force: true });
    for (let i = this.maxBackups; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
    }
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }
}

/** The audit logger, or null when off; close() closes the file. */
export function openAuditLog(opts: AuditLogOptions | undefined, log: Logger): { audit: Logger | null; reads: boolean; close(): void } {
  if (!opts) return { audit: null, reads: false, close() {} };
  const reads = opts.reads ?? false;
  if (opts.path === '-') return { audit: log.child({ component: 'audit' }), reads, close() {} };
  const file = new RotatingFile(opts.path, opts.maxSizeBytes ?? 100 * 1024 * 1024, opts.maxBackups ?? 1);
  const audit = pino({ base: { component: 'audit' }, timestamp: pino.stdTimeFunctions.isoTime }, file);
  return { audit, reads, close: () => file.close() };
}
