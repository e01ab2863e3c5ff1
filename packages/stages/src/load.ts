/**
 * Reading Stage objects: YAML text (multi-document, `kind: List`), files, folders (recursively)
 * and kustomize folders as KWOK ships them (`kustomization.yaml` → `resources:`). Documents of
 * other kinds (RBAC, StorageClass, objects in `testdata/`) are skipped, as KWOK's loader does.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { StageProblem } from './errors.ts';
import { checkShape, formatPath, stageShape } from './shape.ts';
import { noLocator, yamlLocator, type Locator } from './source-map.ts';
import type { StageObject, StageSource } from './types.ts';
import { readStageFile } from './stage-file-read.ts';
import { goYamlOptions } from '@virtsim/goformats';

export const STAGE_API_VERSION = 'kwok.x-k8s.io/v1alpha1';

/** A Stage document that passed the structural check, with a way back to its file positions. */
export interface LoadedStage {
  object: StageObject;
  source: StageSource;
  locator: Locator;
}

export interface ParseResult {
  stages: LoadedStage[];
  problems: StageProblem[];
}

function problemAt(
  source: StageSource,
  stage: string,
  locator: Locator,
  p: readonly (string | number)[],
  reason: string,
  atKey = false,
): StageProblem {
  const pos = p.length ? locator.at(p, atKey) : { line: source.line, column: 0 };
  return { file: source.file, doc: source.doc, stage, path: formatPath(p), line: pos.line, column: pos.column, reason };
}

/** Structural checks of one object claimed to be a Stage; returns the problems (empty when fine). */
export function checkStageObject(obj: Record<string, unknown>, source: StageSource, locator: Locator): StageProblem[] {
  const name = String((obj.metadata as { name?: unknown } | undefined)?.name ?? '');
  const problems: StageProblem[] = [];
  if (obj.apiVersion !== STAGE_API_VERSION) {
    problems.push(problemAt(source, name, locator, ['apiVersion'], `must be ${STAGE_API_VERSION}, got ${JSON.stringify(obj.apiVersion)}`));
  }
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object' || typeof meta.name !== 'string' || meta.name === '') {
    problems.push(problemAt(source, name, locator, ['metadata', 'name'], 'required field is missing'));
  }
  for (const issue of checkShape(obj, stageShape)) {
    problems.push(problemAt(source, name, locator, issue.path, issue.reason, issue.atKey));
  }
  return problems;
}

function isStageDoc(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'Stage';
}

/** Parses YAML text holding any number of documents; Stage documents are checked and returned. */
export function parseStages(text: string, file: string): ParseResult {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...goYamlOptions, lineCounter: lc, uniqueKeys: true }) as Document[] | { errors: unknown[] };
  const stages: LoadedStage[] = [];
  const problems: StageProblem[] = [];
  if (!Array.isArray(docs)) {
    problems.push({ file, doc: -1, stage: '', path: '', line: 0, column: 0, reason: 'not a YAML stream' });
    return { stages, problems };
  }
  docs.forEach((doc, index) => {
    const start = lc.linePos((doc.contents as { range?: number[] } | null)?.range?.[0] ?? doc.range?.[0] ?? 0);
    const source: StageSource = { file, doc: index, line: start.line };
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const lp = e.linePos?.[0];
        problems.push({ file, doc: index, stage: '', path: '', line: lp?.line ?? start.line, column: lp?.col ?? 0, reason: `invalid YAML: ${e.message.split('\n')[0]}` });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // An alias to an anchor defined later (or never), or alias expansion past the limit.
      problems.push({ file, doc: index, stage: '', path: '', line: start.line, column: 0, reason: `invalid YAML: ${(e as Error).message.split('\n')[0]}` });
      return;
    }
    if (value === null || value === undefined) return;
    const locator = yamlLocator(doc, text, lc);
    const items: { obj: unknown; prefix: (string | number)[] }[] = [];
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray((value as { items?: unknown }).items)) {
      ((value as { items: unknown[] }).items).forEach((obj, i) => items.push({ obj, prefix: ['items', i] }));
    } else items.push({ obj: value, prefix: [] });
    for (const { obj, prefix } of items) {
      if (!isStageDoc(obj)) continue;
      const loc: Locator = prefix.length
        ? { at: (p, k) => locator.at([...prefix, ...p], k), inTemplate: (p, l, c) => locator.inTemplate([...prefix, ...p], l, c) }
        : locator;
      const found = checkStageObject(obj, source, loc);
      problems.push(...found);
      if (found.length === 0) stages.push({ object: obj as unknown as StageObject, source, locator: loc });
    }
  });
  return { stages, problems };
}

/** Stage objects that did not come from a file (e.g. Stage custom resources from the API server). */
export function fromObjectsUnchecked(objs: unknown[], origin = 'api'): ParseResult {
  const stages: LoadedStage[] = [];
  const problems: StageProblem[] = [];
  objs.forEach((obj, i) => {
    const name = String((obj as { metadata?: { name?: unknown } })?.metadata?.name ?? '');
    const source: StageSource = { file: name ? `${origin}/${name}` : origin, doc: i, line: 0 };
    if (!isStageDoc(obj)) {
      problems.push({ file: source.file, doc: i, stage: name, path: 'kind', line: 0, column: 0, reason: 'not a Stage' });
      return;
    }
    const found = checkStageObject(obj, source, noLocator);
    problems.push(...found);
    if (found.length === 0) stages.push({ object: obj as unknown as StageObject, source, locator: noLocator });
  });
  return { stages, problems };
}

const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const n of KUSTOMIZATION_NAMES) {
    try {
      if ((await stat(path.join(dir, n))).isFile()) return path.join(dir, n);
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** Files to read for `paths`, in order, each once; problems for paths that cannot be used. */
export async function resolveStageFiles(paths: string[]): Promise<{ files: string[]; problems: StageProblem[] }> {
  const files: string[] = [];
  const seen = new Set<string>();
  const problems: StageProblem[] = [];
  const addFile = (f: string) => {
    const abs = path.resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      files.push(f);
    }
  };
  const visitKustomization = async (kfile: string, stack: string[]) => {
    if (stack.includes(path.resolve(kfile))) {
      problems.push({ file: kfile, doc: -1, stage: '', path: 'resources', line: 0, column: 0, reason: 'kustomization includes itself' });
      return;
    }
    let resources: unknown;
    const read = await readStageFile(kfile);
    if ('reason' in read) {
      problems.push({ file: kfile, doc: -1, stage: '', path: '', line: 0, column: 0, reason: read.reason });
      return;
    }
    try {
      const docs = parseAllDocuments(read.text, goYamlOptions);
      const k = (Array.isArray(docs) ? docs[0]?.toJS() : null) as Record<string, unknown> | null;
      // Only resources (and its old name, bases) are understood; a transformer would change the
      // stages behind our back, so it is an error rather than silently ignored.
      for (const field of Object.keys(k ?? {})) {
        if (!['apiVersion', 'kind', 'metadata', 'resources', 'bases'].includes(field)) {
          problems.push({ file: kfile, doc: 0, stage: '', path: field, line: 0, column: 0, reason: `kustomization field "${field}" is not supported (only resources)` });
        }
      }
      const list = [k?.resources, k?.bases].filter((v) => v !== undefined && v !== null);
      resources = list.length === 0 ? undefined : list.every(Array.isArray) ? (list as unknown[][]).flat() : list.find((v) => !Array.isArray(v));
    } catch (e) {
      problems.push({ file: kfile, doc: -1, stage: '', path: '', line: 0, column: 0, reason: `cannot read: ${(e as Error).message}` });
      return;
    }
    if (resources === undefined || resources === null) return;
    if (!Array.isArray(resources)) {
      problems.push({ file: kfile, doc: 0, stage: '', path: 'resources', line: 0, column: 0, reason: 'must be a list' });
      return;
    }
    for (const r of resources) {
      if (typeof r !== 'string' || /^[a-z]+:\/\//i.test(r) || r.startsWith('github.com/')) {
        problems.push({ file: kfile, doc: 0, stage: '', path: 'resources', line: 0, column: 0, reason: `unsupported resource ${JSON.stringify(r)} (only local files and folders)` });
        continue;
      }
      await visit(path.join(path.dirname(kfile), r), [...stack, path.resolve(kfile)], true);
    }
  };
  const visit = async (p: string, stack: string[], fromKustomization: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch {
      problems.push({ file: p, doc: -1, stage: '', path: '', line: 0, column: 0, reason: 'no such file or directory' });
      return;
    }
    if (st.isFile()) return addFile(p);
    const k = await findKustomization(p);
    if (k) return visitKustomization(k, stack);
    if (fromKustomization) {
      problems.push({ file: p, doc: -1, stage: '', path: '', line: 0, column: 0, reason: 'folder in kustomization resources has no kustomization.yaml' });
      return;
    }
    const entries = (await readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = path.join(p, e.name);
      if (e.isDirectory()) {
        // Golden input/output pairs live in testdata/; they are not stages.
        if (e.name === 'testdata' || e.name.startsWith('.')) continue;
        await visit(child, stack, false);
      } else if (/\.ya?ml$/.test(e.name) && !KUSTOMIZATION_NAMES.includes(e.name)) addFile(child);
    }
  };
  for (const p of paths) await visit(p, [], false);
  return { files, problems };
}

export { isDir };
