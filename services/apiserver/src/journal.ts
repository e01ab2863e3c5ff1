/**
 * The store's durable log (write-ahead, like etcd's WAL) in `<data-dir>/store/`:
 *   log-<seq>.wal       every write, appended before it is applied (store-records.ts format)
 *   snapshot-<seq>.snap every object as of the start of log-<seq> (written while writes go on;
 *                       replaying log-<seq> over it gives the exact state, as every write since
 *                       the rotation is in the log and replaying a write is idempotent)
 * Appends are synchronous write(2)s into the page cache (a few µs): a kill -9 cannot lose them,
 * and a full disk fails the write before anything changes in memory. Durability against a power
 * cut is the fsync: with `fsync`, answers wait for a group commit (one fdatasync, run off the
 * event loop, covers every write appended before it started); `batch` fsyncs on a short timer
 * without waiting; `none` never fsyncs the log. Once the log outgrows the last snapshot, a
 * compaction rotates the log, writes a new snapshot (temp file, fsync, rename, directory fsync)
 * and deletes the older files.
 */
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@virtsim/telemetry';
import { StatusError } from './status.ts';
import { encodeRecord, encodeRecordAt, encodeRecordInto, maxRecordBytes, scanRecords } from './store-records.ts';

export type Durability = 'fsync' | 'batch' | 'none';
export const DURABILITIES: readonly Durability[] = ['fsync', 'batch', 'none'];

/** Where replayed records go. */
export interface ReplayTarget {
  put(storeKey: string, json: string): void;
  remove(storeKey: string, ns: string, name: string, rv: number): void;
  resourceVersion(rv: number): void;
}

export interface JournalOptions {
  dir: string;
  durability: Durability;
  log: Logger;
  /** Every object, for snapshots (read while writes go on). */
  contents: () => Iterable<{ storeKey: string; json: string }>;
  resourceVersion: () => number;
  /** The log is compacted once it holds this many bytes and more than the last snapshot (default 64 MiB). */
  compactAfterBytes?: number;
  /** `batch`: how long after a write its fsync starts (default 100 ms). */
  batchIntervalMs?: number;
}

export interface JournalStats {
  fsyncs: number;
  fsyncSeconds: number;
  logBytes: number;
  snapshotBytes: number;
  writeFailures: number;
  compactions: number;
}

const pad = (n: number) => String(n).padStart(10, '0');
const logName = (seq: number) => `log-${pad(seq)}.wal`;
const snapName = (seq: number) => `snapshot-${pad(seq)}.snap`;
const SPACE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
/** A snapshot is written in chunks of this size. */
const SNAPSHOT_CHUNK_BYTES = 4 * 1024 * 1024;

/** A storage problem as the Status a client gets: 507 when the disk is full, else 500. */
function storageError(err: NodeJS.ErrnoException, what: string): StatusError {
  const full = SPACE_ERRORS.has(err.code ?? '');
  return new StatusError(full ? 507 : 500, 'InternalError', `Internal error occurred: ${what}: ${err.message}`, {
    causes: [{ reason: full ? 'InsufficientStorage' : 'StorageError', message: err.message }],
  });
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class StoreDamagedError extends Error {}

export class Journal {
  private readonly o: JournalOptions;
  private readonly dir: string;
  private seq: number;
  private fd: number;
  /** Size of the current log file (a failed append is cut back to it). */
  private fileBytes: number;
  /** Bytes appended since the start, over all files; `syncedTo` of them are durable. */
  private appended = 0;
  private syncedTo = 0;
  private syncing = false;
  private syncScheduled = false;
  private idleWaiters: Array<() => void> = [];
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private broken: StatusError | null = null;
  /** Called with the log position everything before which is durable (fsync mode). */
  onDurable: ((upTo: number) => void) | null = null;
  /** Called with each fdatasync's time, from its call to its callback (the thread pool's queue and the event loop's included, as a waiting write sees it). */
  onFsync: ((seconds: number) => void) | null = null;
  private compaction: Promise<void> | null = null;
  private closed = false;
  private snapshotBytes = 0;
  /** Where append encodes each record: it is written synchronously, so one buffer serves them all. */
  private readonly scratch = Buffer.allocUnsafe(1 << 20);
  readonly stats: JournalStats = { fsyncs: 0, fsyncSeconds: 0, logBytes: 0, snapshotBytes: 0, writeFailures: 0, compactions: 0 };

  private constructor(o: JournalOptions, seq: number, fileBytes: number, snapshotBytes: number) {
    this.o = o;
    this.dir = o.dir;
    this.seq = seq;
    this.fd = openSync(join(this.dir, logName(seq)), 'a');
    this.fileBytes = fileBytes;
    this.stats.logBytes = fileBytes;
    this.snapshotBytes = snapshotBytes;
    this.stats.snapshotBytes = snapshotBytes;
  }

  /** True when the directory holds a store (snapshot or log). */
  static exists(dir: string): boolean {
    try {
      return readdirSync(dir).some((f) => /^(log-\d+\.wal|snapshot-\d+\.snap)$/.test(f));
    } catch {
      return false;
    }
  }

  /**
   * Replays the newest snapshot and the logs after it into `target`, drops a torn last record
   * (with a warning), and refuses damage anywhere else with a StoreDamagedError naming the file,
   * offset and reason.
   */
  static open(o: JournalOptions, target: ReplayTarget): { journal: Journal; objects: number; records: number } {
    const dir = o.dir;
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir);
    for (const f of names) if (f.endsWith('.tmp')) unlinkSync(join(dir, f));
    const seqs = (re: RegExp) => names.map((f) => re.exec(f)).filter((m) => m !== null).map((m) => Number(m![1])).sort((a, b) => a - b);
    const snaps = seqs(/^snapshot-(\d+)\.snap$/);
    const logs = seqs(/^log-(\d+)\.wal$/);
    const snapSeq = snaps.length ? snaps[snaps.length - 1] : 0;
    let objects = 0;
    let records = 0;
    let snapshotBytes = 0;
    const apply = (file: string, payload: Buffer, offset: number) => {
      const text = payload.toString('utf8');
      try {
        const tag = text[0];
        if (tag === 'P') {
          const tab = text.indexOf('\t');
          target.put(text.slice(1, tab), text.slice(tab + 1));
          objects++;
        } else if (tag === 'D') {
          const [rv, storeKey, key] = text.slice(1).split('\t');
          const slash = key.indexOf('/');
          target.remove(storeKey, key.slice(0, slash), key.slice(slash + 1), Number(rv));
        } else if (tag === 'H') target.resourceVersion(JSON.parse(text.slice(1)).resourceVersion);
        else if (tag !== 'E') throw new Error(`unknown record tag ${JSON.stringify(tag)}`);
        records++;
      } catch (err) {
        throw new StoreDamagedError(`${join(dir, file)}: the record at offset ${offset} cannot be applied: ${(err as Error).message}`);
      }
    };
    if (snapSeq) {
      const file = snapName(snapSeq);
      let ended = -1;
      let puts = 0;
      const r = scanRecords(join(dir, file), (p, off) => {
        if (ended >= 0) throw new StoreDamagedError(`${join(dir, file)}: a record at offset ${off} follows the end marker`);
        if (p[0] === 0x45) ended = Number(p.subarray(1).toString());
        else if (p[0] === 0x50) puts++;
        apply(file, p, off);
      });
      if (r.damage) throw new StoreDamagedError(`${join(dir, file)}: damaged at offset ${r.damage.offset}: ${r.damage.reason}; the snapshot was complete when written, so the store is damaged (restore the data dir from a backup)`);
      if (ended !== puts) throw new StoreDamagedError(`${join(dir, file)}: the snapshot ends after ${puts} objects without its end marker`);
      snapshotBytes = r.size;
    }
    let replay = logs.filter((s) => s >= snapSeq);
    if (replay.length && replay[0] !== (snapSeq || replay[0]))
      throw new StoreDamagedError(`${join(dir, logName(replay[0]))}: the log after snapshot ${snapSeq} (${logName(snapSeq)}) is missing`);
    if (!snapSeq && replay.length && replay[0] !== 1) throw new StoreDamagedError(`${join(dir, logName(replay[0]))}: no snapshot holds the state before this log`);
    for (let i = 1; i < replay.length; i++)
      if (replay[i] !== replay[i - 1] + 1) throw new StoreDamagedError(`${join(dir, logName(replay[i - 1] + 1))}: a log between ${logName(replay[i - 1])} and ${logName(replay[i])} is missing`);
    let lastBytes = 0;
    replay.forEach((seq, i) => {
      const file = logName(seq);
      const path = join(dir, file);
      const r = scanRecords(path, (p, off) => apply(file, p, off));
      lastBytes = r.validBytes;
      if (!r.damage) return;
      if (i === replay.length - 1 && r.damage.tail) {
        o.log.warn({ file: path, offset: r.damage.offset, reason: r.damage.reason, droppedBytes: r.size - r.damage.offset }, 'store log ends in a torn record (a write cut off by a crash, never acknowledged): dropped');
        truncateSync(path, r.damage.offset);
        return;
      }
      throw new StoreDamagedError(`${path}: damaged at offset ${r.damage.offset}: ${r.damage.reason}${r.damage.tail ? ' (at the end of a log that is not the last one)' : ', and valid records follow it'}; refusing to start with part of the state (restore the data dir from a backup, or move it away to start empty)`);
    });
    // Files older than the snapshot are left over from a compaction cut short.
    for (const s of snaps) if (s < snapSeq) unlinkSync(join(dir, snapName(s)));
    for (const s of logs) if (s < snapSeq) unlinkSync(join(dir, logName(s)));
    if (!replay.length) {
      replay = [snapSeq || 1];
      lastBytes = 0;
    }
    const journal = new Journal(o, replay[replay.length - 1], lastBytes, snapshotBytes);
    if (!logs.includes(journal.seq)) fsyncDir(dir);
    return { journal, objects, records };
  }

  /** Appends one record (synchronously, into the OS); throws a 507/500 StatusError when it cannot. */
  append(payload: string): void {
    if (this.broken) throw this.broken;
    // (A rare object too large for it gets a buffer of its own, which is not kept.)
    const rec = maxRecordBytes(payload) <= this.scratch.length ? encodeRecordInto(this.scratch, payload) : encodeRecord(payload);
    let written = 0;
    try {
      while (written < rec.length) written += writeSync(this.fd, rec, written, rec.length - written);
    } catch (err) {
      this.stats.writeFailures++;
      const path = join(this.dir, logName(this.seq));
      if (written > 0) {
        // A partial record would be damage in the middle once the next one is appended.
        try {
          truncateSync(path, this.fileBytes);
        } catch (e2) {
          this.broken = storageError(e2 as NodeJS.ErrnoException, `the store's log ${path} could not be repaired after a failed write; writes are refused until a restart`);
        }
      }
      const e = storageError(err as NodeJS.ErrnoException, `writing the store's log ${path} failed; the write was not applied`);
      this.o.log.error({ err, file: path, code: e.code }, 'store write failed; the write was refused');
      throw e;
    }
    this.fileBytes += rec.length;
    this.stats.logBytes = this.fileBytes;
    this.appended += rec.length;
    // Start at the end of this event-loop turn: every write of the turn shares the fsync (also
    // writes nobody waits on, such as garbage collection, whose events wait for it).
    if (this.o.durability === 'fsync' && !this.syncScheduled) {
      this.syncScheduled = true;
      setImmediate(() => {
        this.syncScheduled = false;
        this.sync();
      });
    }
    if (this.o.durability === 'batch' && !this.batchTimer)
      this.batchTimer = setTimeout(() => {
        this.batchTimer = null;
        this.sync();
      }, this.o.batchIntervalMs ?? 100);
    // compact() marks itself at once, so the appends until it runs do not queue more.
    if (!this.compaction && !this.closed && this.fileBytes >= Math.max(this.o.compactAfterBytes ?? 64 * 1024 * 1024, this.snapshotBytes)) void this.compact();
  }

  /**
   * With `fsync`: a promise that settles once everything appended so far is on disk (null when it
   * already is); rejects with a 500 StatusError if the fsync fails. Other modes: null (written to the
   * OS is what they promise).
   */
  waitDurable(): Promise<void> | null {
    if (this.broken) return Promise.reject(this.broken);
    if (this.o.durability !== 'fsync' || this.syncedTo >= this.appended) return null;
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.appended, resolve, reject });
      if (!this.syncScheduled) this.sync();
    });
  }

  /** Where the log ends (bytes appended since the start, over all files). */
  position(): number {
    return this.appended;
  }

  /** Group commit: one fdatasync for everything appended before it starts; the next starts when it ends. */
  private sync(): void {
    if (this.syncing || this.broken || this.syncedTo >= this.appended) return;
    this.syncing = true;
    const upTo = this.appended;
    const t0 = performance.now();
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      const seconds = (performance.now() - t0) / 1000;
      this.stats.fsyncs++;
      this.stats.fsyncSeconds += seconds;
      this.onFsync?.(seconds);
      if (err) this.fail(err);
      else this.synced(upTo);
      if (!this.syncing) {
        const idle = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of idle) f();
      }
    });
  }

  private synced(upTo: number): void {
    if (upTo > this.syncedTo) this.syncedTo = upTo;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n].upTo <= this.syncedTo) this.waiters[n++].resolve();
    if (n) this.waiters.splice(0, n);
    this.onDurable?.(this.syncedTo);
    if (this.appended > this.syncedTo && !this.syncScheduled) this.sync();
  }

  private fail(err: NodeJS.ErrnoException): void {
    const path = join(this.dir, logName(this.seq));
    // After a failed fsync the OS may have dropped the data: nothing more is acknowledged.
    this.broken = storageError(err, `fsync of the store's log ${path} failed; writes are refused until the server restarts (reads go on)`);
    this.o.log.error({ err, file: path }, 'store fsync failed: writes in flight answered 500, later writes refused until a restart');
    for (const w of this.waiters) w.reject(this.broken);
    this.waiters = [];
    // Memory holds those writes (answered 500: outcome unknown); watchers see what readers see.
    this.onDurable?.(Number.POSITIVE_INFINITY);
  }

  private idle(): Promise<void> {
    if (!this.syncing) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Rotates the log and writes a snapshot; the older files go once the snapshot is durable. One at a time. */
  compact(): Promise<void> {
    const run = (this.compaction ?? Promise.resolve()).then(() => this.compactNow());
    const tracked = run.finally(() => {
      if (this.compaction === tracked) this.compaction = null;
    });
    this.compaction = tracked;
    return run;
  }

  private async compactNow(): Promise<void> {
    await this.idle();
    if (this.broken) return;
    const t0 = performance.now();
    // Rotate (synchronously: no append can land between the old file's sync and the switch).
    const seq = this.seq + 1;
    try {
      const fd = openSync(join(this.dir, logName(seq)), 'a');
      fsyncDir(this.dir);
      fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.fd = fd;
    } catch (err) {
      this.o.log.error({ err, dir: this.dir }, 'store compaction could not start a new log; the current log keeps every write');
      return;
    }
    this.seq = seq;
    this.fileBytes = 0;
    this.stats.logBytes = 0;
    this.synced(this.appended);
    const rv = this.o.resourceVersion();
    const tmp = join(this.dir, snapName(seq) + '.tmp');
    try {
      const fh = await open(tmp, 'w');
      let bytes = 0;
      let count = 0;
      try {
        // Records are encoded into one chunk, written whenever the next might not fit: no Buffer
        // per object and no concat (a compaction of 36 MiB took a third less CPU than that way).
        const chunk = Buffer.allocUnsafe(SNAPSHOT_CHUNK_BYTES);
        let used = 0;
        const flush = async () => {
          // Writing yields to the event loop: requests go on while the snapshot is written.
          await fh.write(chunk, 0, used);
          bytes += used;
          used = 0;
        };
        // (Awaited only when the chunk is full: no promise per object.)
        const put = (head: string, tail = ''): Promise<void> | undefined => {
          const max = maxRecordBytes(head) + tail.length * 3;
          if (used > 0 && used + max > chunk.length) return flush().then(() => put(head, tail));
          if (max > chunk.length) {
            // An object larger than the chunk: a record of its own.
            const rec = encodeRecord(head + tail);
            return fh.write(rec).then(() => void (bytes += rec.length));
          }
          used += encodeRecordAt(chunk, used, head, tail);
          return undefined;
        };
        await put('H' + JSON.stringify({ resourceVersion: rv }));
        for (const e of this.o.contents()) {
          const pending = put('P' + e.storeKey + '\t', e.json);
          if (pending) await pending;
          count++;
        }
        await put('E' + count);
        await flush();
        await fh.sync();
      } finally {
        await fh.close();
      }
      renameSync(tmp, join(this.dir, snapName(seq)));
      fsyncDir(this.dir);
      await this.removeOlderThan(seq);
      this.snapshotBytes = bytes;
      this.stats.snapshotBytes = bytes;
      this.stats.compactions++;
      this.o.log.info({ file: join(this.dir, snapName(seq)), objects: count, bytes, resourceVersion: rv, ms: Math.round(performance.now() - t0) }, 'store compacted');
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      this.o.log.error({ err, file: tmp }, 'store compaction failed; the log still holds every write');
    }
  }

  /**
   * Removes the logs and snapshots the snapshot `seq` replaced, off the event loop: unlinking a
   * file of tens of MiB held it for 10-40 ms on ext4, every compaction (one every ~10 s under load).
   * A file left by a crash meanwhile is removed at the next start.
   */
  private async removeOlderThan(seq: number): Promise<void> {
    const stale = readdirSync(this.dir).filter((f) => {
      const m = /^(?:log|snapshot)-(\d+)\.(?:wal|snap)$/.exec(f);
      return m && Number(m[1]) < seq;
    });
    await Promise.all(
      stale.map((f) =>
        unlink(join(this.dir, f)).catch((err: unknown) => this.o.log.warn({ err, file: join(this.dir, f) }, 'store compaction could not remove a replaced file; the next start removes it')),
      ),
    );
  }

  /** Ends the log: compacts when the log is worth it (a quicker next start), makes everything durable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    await this.compaction;
    if (!this.broken && this.fileBytes >= 1024 * 1024) await this.compact();
    await this.idle();
    if (!this.broken && this.o.durability !== 'none') fdatasyncSync(this.fd);
    closeSync(this.fd);
  }
}
