import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readYamlObjects } from './yaml-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'virtsim-yaml-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readYamlObjects (in a child process)', () => {
  it('gives every document with a kind, in order', async () => {
    const a = file('a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  k: "1"\n---\n# only a comment\n---\nkind: Stage\nmetadata: {name: two}\nspec: {delay: {durationMilliseconds: 5}}\n');
    const b = file('b.yaml', 'just: a map without kind\n');
    const got = await readYamlObjects([b, a]);
    expect(got).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { k: '1' } },
      { kind: 'Stage', metadata: { name: 'two' }, spec: { delay: { durationMilliseconds: 5 } } },
    ]);
  });

  it('refuses a broken file, naming it and the line', async () => {
    const bad = file('bad.yaml', 'kind: ConfigMap\nmetadata:\n  name: [unclosed\n');
    await expect(readYamlObjects([bad])).rejects.toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });

  it('refuses a file that is not there', async () => {
    await expect(readYamlObjects([join(dir, 'missing.yaml')])).rejects.toThrow(/ENOENT.*missing\.yaml/);
  });
});
