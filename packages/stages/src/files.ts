/** Loading stage sets from files and folders, collecting every problem before failing. */
import type { CompileOptions } from './compile.ts';
import { StageLoadError, type StageProblem } from './errors.ts';
import { parseStages, resolveStageFiles, type LoadedStage } from './load.ts';
import { StageSet } from './stage-set.ts';
import { readStageFile } from './stage-file-read.ts';

export interface CheckResult {
  /** The stages that compiled (those with problems are left out). */
  set: StageSet;
  problems: StageProblem[];
  /** The YAML files read, in order. */
  files: string[];
}

/** Reads and compiles the stages under `paths`; never throws for bad content. */
export async function checkStageFiles(paths: string[], opts: CompileOptions = {}): Promise<CheckResult> {
  const { files, problems } = await resolveStageFiles(paths);
  const loaded: LoadedStage[] = [];
  for (const file of files) {
    const read = await readStageFile(file);
    if ('reason' in read) {
      problems.push({ file, doc: -1, stage: '', path: '', line: 0, column: 0, reason: read.reason });
      continue;
    }
    const r = parseStages(read.text, file);
    problems.push(...r.problems);
    loaded.push(...r.stages);
  }
  const { set, problems: compileProblems } = StageSet.compile(loaded, opts);
  problems.push(...compileProblems);
  // In file order, then document, then line.
  const fileIndex = new Map(files.map((f, i) => [f, i]));
  problems.sort((a, b) => (fileIndex.get(a.file) ?? -1) - (fileIndex.get(b.file) ?? -1) || a.doc - b.doc || a.line - b.line || a.column - b.column);
  return { set, problems, files };
}

/** Files, folders (recursively) and kustomize folders; throws StageLoadError listing every problem. */
export async function loadStageFiles(paths: string[], opts: CompileOptions = {}): Promise<StageSet> {
  const { set, problems } = await checkStageFiles(paths, opts);
  if (problems.length) throw new StageLoadError(problems);
  return set;
}

/** Stages from YAML text (one file's content); throws StageLoadError listing every problem. */
export function parseStageText(text: string, file = '<input>', opts: CompileOptions = {}): StageSet {
  const r = parseStages(text, file);
  const { set, problems } = StageSet.compile(r.stages, opts);
  const all = [...r.problems, ...problems];
  if (all.length) throw new StageLoadError(all);
  return set;
}
