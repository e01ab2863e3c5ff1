/**
 * The record format of the store's log and snapshot files, and reading them back with damage
 * detection. A record is [payload length, u32 LE][crc32 of the payload, u32 LE][payload, UTF-8].
 * Payloads start with a tag:
 *   P<storeKey>\t<object JSON>           an object as written (its resourceVersion inside)
 *   D<rv>\t<storeKey>\t<namespace>/<name> an object removed at resourceVersion rv
 *   H<JSON>                              snapshot header: {"resourceVersion": n}
 *   E<count>                             snapshot end: the number of P records before it
 * A reader tells a torn tail (a write cut off by a crash: nothing valid follows the damage) from
 * damage in the middle (a valid record follows), which must stop the start.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
/** Far above any object the server accepts; a larger length can only be damage. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const TAGS = new Set([0x50 /* P */, 0x44 /* D */, 0x48 /* H */, 0x45 /* E */]);

export function encodeRecord(payload: string): Buffer {
  return encodeRecordInto(Buffer.allocUnsafe(HEADER_BYTES + Buffer.byteLength(payload)), payload);
}

/** The most bytes a payload's record can take: UTF-8 needs at most 3 bytes per UTF-16 unit. */
export const maxRecordBytes = (payload: string): number => HEADER_BYTES + payload.length * 3;

/**
 * Encodes into `buf` (at least maxRecordBytes(payload) long, or exactly the record's size) and
 * returns the record's bytes, a view of `buf`: one pass over the string instead of measuring it first.
 */
export function encodeRecordInto(buf: Buffer, payload: string): Buffer {
  return buf.subarray(0, encodeRecordAt(buf, 0, payload));
}

/**
 * Encodes the record of the payload `head + tail` at `offset` of `buf` (with room for
 * maxRecordBytes of it) and returns its length. The two parts are written one after the other, so
 * a snapshot does not join a short prefix to each object's JSON (a copy of every object).
 */
export function encodeRecordAt(buf: Buffer, offset: number, head: string, tail = ''): number {
  const start = offset + HEADER_BYTES;
  let len = buf.write(head, start, 'utf8');
  if (tail) len += buf.write(tail, start + len, 'utf8');
  buf.writeUInt32LE(len, offset);
  buf.writeUInt32LE(crc32(buf.subarray(start, start + len)), offset + 4);
  return HEADER_BYTES + len;
}

export interface Damage {
  /** Byte offset of the first bad record. */
  offset: number;
  reason: string;
  /** Nothing valid follows: a write cut off at the end of the file. */
  tail: boolean;
}

export interface ScanResult {
  /** Bytes of valid records from the start (where a torn tail begins). */
  validBytes: number;
  records: number;
  size: number;
  damage: Damage | null;
}

/** A record's problem at `pos`, or null when a valid record starts there. */
function checkAt(buf: Buffer, at: number, avail: number): { reason: string; len: number } | null {
  if (avail < HEADER_BYTES) return { reason: `incomplete record header (${avail} of ${HEADER_BYTES} bytes)`, len: 0 };
  const len = buf.readUInt32LE(at);
  if (len === 0 || len > MAX_PAYLOAD_BYTES) return { reason: `impossible record length ${len}`, len };
  if (HEADER_BYTES + len > avail) return { reason: `record of ${len} bytes runs past the end of the file`, len };
  if (crc32(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len)) !== buf.readUInt32LE(at + 4)) return { reason: 'checksum mismatch', len };
  return null;
}

/** Does a valid record (known tag, matching checksum) start anywhere in [from, size)? */
function validRecordAfter(fd: number, from: number, size: number): boolean {
  const WINDOW = 8 * 1024 * 1024;
  for (let start = from; start + HEADER_BYTES < size; start += WINDOW) {
    const n = Math.min(size - start, WINDOW + HEADER_BYTES);
    const buf = Buffer.allocUnsafe(n);
    readSync(fd, buf, 0, n, start);
    for (let p = 0; p + HEADER_BYTES < n && p < WINDOW; p++) {
      const len = buf.readUInt32LE(p);
      if (len === 0 || len > MAX_PAYLOAD_BYTES || start + p + HEADER_BYTES + len > size) continue;
      let rec = buf;
      let at = p;
      if (p + HEADER_BYTES + len > n) {
        rec = Buffer.allocUnsafe(HEADER_BYTES + len);
        readSync(fd, rec, 0, rec.length, start + p);
        at = 0;
      }
      if (!TAGS.has(rec[at + HEADER_BYTES])) continue;
      if (crc32(rec.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len)) === rec.readUInt32LE(at + 4)) return true;
    }
  }
  return false;
}

/**
 * Reads every valid record of a file in order, stopping at the first damaged one. `onRecord` gets
 * the payload (valid only during the call) and its offset.
 */
export function scanRecords(path: string, onRecord: (payload: Buffer, offset: number) => void): ScanResult {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let buf = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 16 * 1024 * 1024));
    let bufStart = 0;
    let bufLen = 0;
    let pos = 0;
    let records = 0;
    let damage: Damage | null = null;
    /** Makes the bytes [pos, end) readable in buf (as far as the file has them). */
    const fill = (end: number): void => {
      end = Math.min(end, size);
      if (end <= bufStart + bufLen) return;
      const keepFrom = pos - bufStart;
      const need = end - pos;
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
        buf.copy(bigger, 0, keepFrom, bufLen);
        buf = bigger;
      } else buf.copy(buf, 0, keepFrom, bufLen);
      bufLen -= keepFrom;
      bufStart = pos;
      while (bufLen < need) {
        const n = readSync(fd, buf, bufLen, Math.min(buf.length - bufLen, size - (bufStart + bufLen)), bufStart + bufLen);
        if (n === 0) break;
        bufLen += n;
      }
    };
    while (pos < size) {
      fill(pos + HEADER_BYTES);
      let avail = bufStart + bufLen - pos;
      let problem = checkAt(buf, pos - bufStart, avail);
      if (problem && avail >= HEADER_BYTES && problem.len > 0 && problem.len <= MAX_PAYLOAD_BYTES && avail < HEADER_BYTES + problem.len) {
        fill(pos + HEADER_BYTES + problem.len);
        avail = bufStart + bufLen - pos;
        problem = checkAt(buf, pos - bufStart, avail);
      }
      if (problem) {
        damage = { offset: pos, reason: problem.reason, tail: false };
        break;
      }
      const at = pos - bufStart;
      const len = buf.readUInt32LE(at);
      onRecord(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len), pos);
      records++;
      pos += HEADER_BYTES + len;
    }
    if (damage) damage.tail = !validRecordAfter(fd, damage.offset + 1, size);
    return { validBytes: pos, records, size, damage };
  } finally {
    closeSync(fd);
  }
}
