/** One thing wrong with a stage file: enough to find it and fix it. */
export interface StageProblem {
  file: string;
  /** 0-based YAML document index within the file (-1 when the file itself is the problem). */
  doc: number;
  /** metadata.name of the stage, '' when unknown. */
  stage: string;
  /** Field path, e.g. `spec.selector.matchExpressions[0].key`; '' for the whole document. */
  path: string;
  /** 1-based line in the file (0 when unknown). */
  line: number;
  /** 1-based column in the file (0 when unknown). */
  column: number;
  reason: string;
}

/** `file:line:col: doc N stage NAME: path: reason` — one line per problem. */
export function formatProblem(p: StageProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}${p.column > 0 ? `:${p.column}` : ''}` : p.file;
  const doc = p.doc >= 0 ? ` doc ${p.doc}` : '';
  const stage = p.stage ? ` stage ${p.stage}` : '';
  const path = p.path ? ` ${p.path}:` : '';
  return `${where}:${doc}${stage}:${path} ${p.reason}`;
}

/** Thrown by the loaders; lists every problem found, not just the first. */
export class StageLoadError extends Error {
  readonly problems: StageProblem[];
  constructor(problems: StageProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in stage files:\n` +
        problems.map(formatProblem).join('\n'),
    );
    this.name = 'StageLoadError';
    this.problems = problems;
  }
}

/** A stage could not be evaluated against an object (KWOK aborts matching for that object). */
export class StageEvalError extends Error {
  readonly stage: string;
  constructor(stage: string, message: string) {
    super(`stage ${stage}: ${message}`);
    this.name = 'StageEvalError';
    this.stage = stage;
  }
}

/** A stage's step could not be turned into a request (template failed, bad YAML output…). */
export class StageRenderError extends Error {
  readonly stage: string;
  readonly step: number;
  constructor(stage: string, step: number, message: string) {
    super(`stage ${stage} step ${step}: ${message}`);
    this.name = 'StageRenderError';
    this.stage = stage;
    this.step = step;
  }
}
