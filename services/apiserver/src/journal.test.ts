// The store's log files: replay to the exact state (also across a compaction), a torn last record
// dropped with a warning naming file and offset, damage in the middle refused.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Journal, StoreDamagedError, type JournalOptions } from './journal.ts';
import { encodeRecord, scanRecords } from './store-records.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A key -> json map standing in for the store, plus the logger's lines. */
function harness(dir: string) {
  const state = new Map<string, string>();
  let rv = 0;
  const lines: any[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } }));
  const opts: JournalOptions = {
    dir,
    durability: 'fsync',
    log: log as unknown as JournalOptions['log'],
    contents: () => [...state].map(([k, json]) => ({ storeKey: k.split('|')[0], json })),
    resourceVersion: () => rv,
  };
  const target = {
    put(storeKey: string, json: string) {
      const o = JSON.parse(json);
      state.set(`${storeKey}|${o.metadata.namespace ?? ''}/${o.metadata.name}`, json);
      rv = Math.max(rv, Number(o.metadata.resourceVersion));
    },
    remove(storeKey: string, ns: string, name: string, r: number) {
      state.delete(`${storeKey}|${ns}/${name}`);
      rv = Math.max(rv, r);
    },
    resourceVersion(r: number) {
      rv = Math.max(rv, r);
    },
  };
  return { state, lines, opts, target, rv: () => rv, setRv: (r: number) => (rv = r) };
}

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'virtsim-journal-'));
  dirs.push(d);
  return d;
}

const cm = (name: string, rv: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: String(rv) }, data: { v: 'x'.repeat(50) } });

/** Writes puts of cm-0..n-1 (rv 1..n) through a journal and closes it. */
async function writeLog(dir: string, n: number): Promise<void> {
  const h = harness(dir);
  const { journal } = Journal.open(h.opts, h.target);
  for (let i = 0; i < n; i++) journal.append('P/configmaps\t' + cm(`cm-${i}`, i + 1));
  await journal.waitDurable();
  await journal.close();
}

describe('store records', () => {
  it('tell a torn tail (nothing valid after) from damage in the middle', () => {
    const dir = newDir();
    const file = join(dir, 'x.wal');
    writeFileSync(file, Buffer.concat([encodeRecord('P/a\t{}'), encodeRecord('P/b\t{}'), encodeRecord('P/c\t{}')]));
    const size = statSync(file).size;
    expect(scanRecords(file, () => {}).damage).toBeNull();
    truncateSync(file, size - 3);
    const torn = scanRecords(file, () => {});
    expect(torn.records).toBe(2);
    expect(torn.damage).toMatchObject({ offset: torn.validBytes, tail: true });
    writeFileSync(file, Buffer.concat([encodeRecord('P/a\t{}'), encodeRecord('P/b\t{}'), encodeRecord('P/c\t{}')]));
    const bytes = readFileSync(file);
    const second = encodeRecord('P/a\t{}').length;
    bytes[second + 10] ^= 0xff;
    writeFileSync(file, bytes);
    const mid = scanRecords(file, () => {});
    expect(mid.records).toBe(1);
    expect(mid.damage).toEqual({ offset: second, reason: 'checksum mismatch', tail: false });
  });
});

describe('journal', () => {
  it('replays to the exact state, across a compaction and a restart, with the resourceVersion going on', async () => {
    const dir = newDir();
    const h = harness(dir);
    const { journal } = Journal.open(h.opts, h.target);
    const want = new Map<string, string>();
    let rv = 0;
    for (let i = 0; i < 50; i++) {
      const json = cm(`cm-${i % 20}`, ++rv);
      journal.append('P/configmaps\t' + json);
      want.set(`/configmaps|ns/cm-${i % 20}`, json);
      h.state.set(`/configmaps|ns/cm-${i % 20}`, json);
      h.setRv(rv);
      if (i % 7 === 0) {
        rv++;
        journal.append(`D${rv}\t/configmaps\tns/cm-${i % 20}`);
        want.delete(`/configmaps|ns/cm-${i % 20}`);
        h.state.delete(`/configmaps|ns/cm-${i % 20}`);
        h.setRv(rv);
      }
      if (i === 25) await journal.compact();
    }
    await journal.waitDurable();
    // no close: as after kill -9
    const again = harness(dir);
    Journal.open(again.opts, again.target);
    expect(again.state).toEqual(want);
    expect(again.rv()).toBe(rv);
    expect(readdirSync(dir).filter((f) => f.startsWith('snapshot-'))).toHaveLength(1);
  });

  it('snapshots objects that fill several write chunks, one larger than a chunk and non-ASCII text exactly', async () => {
    const dir = newDir();
    const h = harness(dir);
    const { journal } = Journal.open(h.opts, h.target);
    const big = (name: string, rv: number, bytes: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: String(rv) }, data: { v: 'é✓'.repeat(bytes / 5) } });
    // ~12 MiB in all (chunks are 4 MiB), one object of ~6 MiB, the rest ~300 KiB each.
    const objects = [...Array.from({ length: 20 }, (_, i) => big(`cm-${i}`, i + 1, 300 * 1024)), big('huge', 21, 6 * 1024 * 1024)];
    for (const json of objects) {
      const o = JSON.parse(json);
      journal.append('P/configmaps\t' + json);
      h.state.set(`/configmaps|ns/${o.metadata.name}`, json);
    }
    h.setRv(21);
    await journal.compact();
    await journal.waitDurable();
    expect(readdirSync(dir).filter((f) => f.endsWith('.wal')).map((f) => statSync(join(dir, f)).size)).toEqual([0]); // all in the snapshot
    const again = harness(dir);
    Journal.open(again.opts, again.target);
    expect(again.state).toEqual(h.state);
    expect(again.rv()).toBe(21);
  });

  it('drops a torn last record with a warning naming the file and offset, and appends after it', async () => {
    const dir = newDir();
    await writeLog(dir, 10);
    const log = join(dir, readdirSync(dir).find((f) => f.endsWith('.wal'))!);
    const good = statSync(log).size;
    appendFileSync(log, encodeRecord('P/configmaps\t' + cm('cut', 11)).subarray(0, 40));
    const h = harness(dir);
    const { journal } = Journal.open(h.opts, h.target);
    expect(h.state.size).toBe(10);
    const warn = h.lines.find((l) => l.level === 40);
    expect(warn).toMatchObject({ file: log, offset: good });
    expect(warn.msg).toContain('torn record');
    journal.append('P/configmaps\t' + cm('after', 11));
    await journal.close();
    const h2 = harness(dir);
    Journal.open(h2.opts, h2.target);
    expect(h2.state.size).toBe(11);
    expect(h2.lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('refuses to start on damage in the middle, naming the file, offset and reason', async () => {
    const dir = newDir();
    await writeLog(dir, 10);
    const log = join(dir, readdirSync(dir).find((f) => f.endsWith('.wal'))!);
    const bytes = readFileSync(log);
    const recLen = encodeRecord('P/configmaps\t' + cm('cm-0', 1)).length;
    bytes[recLen * 4 + 20] ^= 0x01;
    writeFileSync(log, bytes);
    const h = harness(dir);
    expect(() => Journal.open(h.opts, h.target)).toThrow(StoreDamagedError);
    expect(() => Journal.open(h.opts, h.target)).toThrow(`${log}: damaged at offset ${recLen * 4}: checksum mismatch, and valid records follow it`);
  });
});
