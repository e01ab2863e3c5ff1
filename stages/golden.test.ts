/**
 * virtsim's default stage sets against their golden pairs, in KWOK's own format and way
 * (kustomize/stage/stage_test.go): the stage files of `<set>/*.yaml` must explain every
 * `<set>/testdata/NAME.input.yaml` exactly as `NAME.output.yaml` says. Each output was checked by
 * hand against the KubeVirt notes when it was recorded; a diff here means behaviour changed.
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainPlan } from '@virtsim/stages';
import { goYamlToJson } from '@virtsim/goformats';
import { goldenInputs, loadSet, readObject, SET_NAMES, STAGES_DIR, stageFilesOf } from './stage-fixtures.ts';

describe.each(SET_NAMES.map((s) => [s]))('stage set %s', (setName) => {
  const set = loadSet(setName);
  const inputs = goldenInputs(setName);

  it('has golden pairs, each input with its output', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(4);
    for (const [, input] of inputs) expect(existsSync(input.replace(/\.input\.yaml$/, '.output.yaml')), input).toBe(true);
  });

  it('lists exactly its stage files in kustomization.yaml, as KWOK does', () => {
    const k = goYamlToJson(readFileSync(path.join(STAGES_DIR, setName, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...k.resources].sort()).toEqual(stageFilesOf(setName).map((f) => path.basename(f)));
  });

  it.each(inputs)('explains %s as its golden output', (_name, input) => {
    const expected = readFileSync(input.replace(/\.input\.yaml$/, '.output.yaml'), 'utf8');
    expect(explainPlan(set, readObject(input))).toBe(expected);
  });
});

describe('the default set (stages/kustomization.yaml)', () => {
  it('is the four set folders', () => {
    const k = goYamlToJson(readFileSync(path.join(STAGES_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(k.resources).toEqual([...SET_NAMES]);
    const folders = readdirSync(STAGES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.sort()).toEqual([...SET_NAMES].sort());
  });

  it('has stage names that are unique across the sets', () => {
    const set = loadSet(...SET_NAMES);
    const names = set.stages.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
