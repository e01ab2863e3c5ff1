/** Loading: files, folders, kustomizations, multi-document files, Lists, Stage CRs, reloads. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageLoadError } from './errors.ts';
import { checkStageFiles, loadStageFiles } from './files.ts';
import { MAX_STAGE_FILE_BYTES } from './stage-file-read.ts';
import { parseStages } from './load.ts';
import { StageRegistry } from './stage-registry.ts';
import { StageSet } from './stage-set.ts';

const KWOK = path.resolve(import.meta.dirname, '../testdata/kwok');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'virtsim-stages-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stage = (name: string, extra = '') => `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef:
    kind: Pod
  selector: {}
  next:
    delete: true
${extra}`;

const names = (s: StageSet) => s.stages.map((x) => x.name);

describe('loadStageFiles', () => {
  it('follows kustomization resources across folders as KWOK ships them (fast = node/fast + lease + pod/fast)', async () => {
    const set = await loadStageFiles([path.join(KWOK, 'fast')]);
    expect(names(set).sort()).toEqual(['node-heartbeat-with-lease', 'node-initialize', 'pod-complete', 'pod-delete', 'pod-ready']);
  });

  it('skips non-Stage documents (RBAC next to the KubeVirt stages)', async () => {
    const { set, files, problems } = await checkStageFiles([path.join(KWOK, 'kubevirt')]);
    expect(problems).toEqual([]);
    expect(files.length).toBe(4);
    expect(names(set).sort()).toEqual(['vmi-delete', 'vmi-ready']);
  });

  it('reads folders recursively, skipping testdata/, each file once', async () => {
    const root = path.join(dir, 'tree');
    await mkdir(path.join(root, 'a', 'b'), { recursive: true });
    await mkdir(path.join(root, 'testdata'), { recursive: true });
    await writeFile(path.join(root, 'one.yaml'), stage('one'));
    await writeFile(path.join(root, 'a', 'b', 'two.yml'), `${stage('two')}---\n${stage('three')}`);
    await writeFile(path.join(root, 'testdata', 'x.input.yaml'), 'kind: Stage\n');
    await writeFile(path.join(root, 'notes.txt'), 'not yaml');
    const set = await loadStageFiles([root, path.join(root, 'one.yaml')]);
    expect(names(set)).toEqual(['two', 'three', 'one']);
  });

  it('reads List documents', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name: 'x' }, spec: { resourceRef: { kind: 'Pod' }, selector: {} } },
      ],
    });
    expect(parseStages(text, 'list.json').stages.map((s) => s.object.metadata.name)).toEqual(['x']);
  });

  it('lists every problem with file, document, stage, field and line; throws StageLoadError', async () => {
    const f = path.join(dir, 'bad.yaml');
    await writeFile(f, `${stage('a', '  weight: -1\n')}---\n${stage('b').replace('kind: Pod', 'kind: Pod\n    group: x')}---\nkind: Stage\napiVersion: kwok.x-k8s.io/v1\nmetadata: {name: c}\nspec: {resourceRef: {kind: Pod}}\n`);
    const err = await loadStageFiles([f]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageLoadError);
    const problems = (err as StageLoadError).problems.map((p) => `${p.doc} ${p.stage} ${p.path} ${p.line}: ${p.reason}`);
    expect(problems).toEqual([
      '0 a spec.weight 11: must be >= 0, got -1',
      '1 b spec.resourceRef.group 20: unknown field "group"',
      '2 c apiVersion 26: must be kwok.x-k8s.io/v1alpha1, got "kwok.x-k8s.io/v1"',
    ]);
  });

  it('reports missing paths and broken YAML', async () => {
    const f = path.join(dir, 'broken.yaml');
    await writeFile(f, 'kind: Stage\nspec: [\n');
    const { problems } = await checkStageFiles([f, path.join(dir, 'missing')]);
    expect(problems.map((p) => p.reason)).toEqual(['no such file or directory', expect.stringMatching(/^invalid YAML/)]);
  });

  it('refuses a stage file or kustomization over 1 MiB by its path, and still loads the others', async () => {
    const big = path.join(dir, 'big', 'dump.yaml');
    await mkdir(path.dirname(big), { recursive: true });
    await writeFile(big, stage('big') + '#' + 'x'.repeat(MAX_STAGE_FILE_BYTES));
    const small = path.join(dir, 'big', 'small.yaml');
    await writeFile(small, stage('small'));
    const kust = path.join(dir, 'big-kust');
    await mkdir(kust, { recursive: true });
    await writeFile(path.join(kust, 'kustomization.yaml'), 'resources: []\n#' + 'x'.repeat(MAX_STAGE_FILE_BYTES));
    const { set, problems } = await checkStageFiles([path.dirname(big), kust]);
    // (problems of files outside the stage file list, like kustomizations, sort first)
    expect(problems.map((p) => [p.file, p.reason])).toEqual([
      [path.join(kust, 'kustomization.yaml'), expect.stringMatching(/over the limit of 1048576 bytes/)],
      [big, expect.stringMatching(new RegExp(`^is \\d+ bytes, over the limit of ${MAX_STAGE_FILE_BYTES} bytes for a stage file$`))],
    ]);
    expect(names(set)).toEqual(['small']);
  });
});

describe('Stage custom resources', () => {
  const cr = (name: string, phase = 'Pending') => ({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name, resourceVersion: '1', uid: 'u' },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: { matchExpressions: [{ key: '.status.phase', operator: 'In', values: [phase] }] },
      next: { statusTemplate: 'phase: Running' },
    },
    status: {},
  });

  it('StageSet.fromObjects validates like files', () => {
    expect(names(StageSet.fromObjects([cr('a')]))).toEqual(['a']);
    const bad = cr('b');
    bad.spec.selector.matchExpressions[0]!.values = [];
    expect(() => StageSet.fromObjects([bad])).toThrow(/stage b: spec\.selector\.matchExpressions\[0\]\.values: operator In needs at least one value/);
  });

  it('a bad update keeps the last good set and says why; good updates and deletes apply', () => {
    const reg = new StageRegistry([cr('a'), cr('b', 'Running')]);
    expect(names(reg.set)).toEqual(['a', 'b']);
    const broken = cr('a');
    broken.spec.selector.matchExpressions[0]!.key = '.status.phase |';
    const r = reg.upsert(broken);
    expect(r.applied).toBe(false);
    expect(r.messages[0]).toMatch(/stage a: spec\.selector\.matchExpressions\[0\]\.key: bad jq/);
    expect(reg.set.select({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { phase: 'Pending' } })?.stage.name).toBe('a');
    expect(reg.upsert(cr('c', 'Succeeded')).applied).toBe(true);
    expect(reg.remove('b').applied).toBe(true);
    expect(names(reg.set)).toEqual(['a', 'c']);
  });
});

describe('kustomizations', () => {
  it('refuses transformers it would silently ignore', async () => {
    const k = path.join(dir, 'kust');
    await mkdir(k, { recursive: true });
    await writeFile(path.join(k, 'a.yaml'), stage('a'));
    await writeFile(path.join(k, 'kustomization.yaml'), 'resources:\n- a.yaml\nnamePrefix: x-\n');
    const { problems } = await checkStageFiles([k]);
    expect(problems.map((p) => p.reason)).toEqual(['kustomization field "namePrefix" is not supported (only resources)']);
  });
});
