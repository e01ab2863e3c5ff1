import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openAuditLog, RotatingFile } from './audit-log.ts';

describe('audit log', () => {
  it('is off without a path', () => {
    expect(openAuditLog(undefined, pino({ enabled: false })).audit).toBeNull();
  });

  it('writes one JSON line per entry to the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.log');
    const { audit, close } = openAuditLog({ path }, pino({ enabled: false }));
    audit!.info({ audit: true, verb: 'create' }, 'audit');
    close();
    const line = JSON.parse(readFileSync(path, 'utf8').trim());
    expect(line).toMatchObject({ audit: true, verb: 'create', component: 'audit', msg: 'audit' });
  });

  it('rotates at the size, keeping the configured backups', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.log');
    const f = new RotatingFile(path, 20, 2);
    for (const l of ['aaaaaaaaaa\n', 'bbbbbbbbbb\n', 'cccccccccc\n', 'dddddddddd\n']) f.write(l);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe('dddddddddd\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('cccccccccc\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('bbbbbbbbbb\n');
    expect(existsSync(`${path}.3`)).toBe(false);
  });
});
