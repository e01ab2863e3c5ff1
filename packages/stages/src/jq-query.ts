/**
 * A jq program as KWOK's expression.Query runs it (gojq): every non-null output is collected; a
 * runtime error anywhere makes the whole result "no value" (empty), never an error.
 */
import { compileJq, compileJqInterpreted } from '@virtsim/jq';

export interface JqQuery {
  readonly source: string;
  /** true when @virtsim/jq compiled it to a direct function rather than the interpreter. */
  readonly fastPath: boolean;
  execute(input: unknown): unknown[];
}

const EMPTY: unknown[] = [];

/** Throws JqSyntaxError (with position) when the program does not parse. */
export function compileQuery(source: string, opts: { interpreted?: boolean } = {}): JqQuery {
  const program = opts.interpreted ? compileJqInterpreted(source) : compileJq(source);
  return {
    source,
    fastPath: program.fastPath,
    execute(input) {
      // gojq errors (e.g. iterating null) are routine here and mean "no value": tryRun answers
      // null for them without building an exception on the fast path.
      const out = program.tryRun(input);
      if (out === null) return EMPTY;
      for (let i = 0; i < out.length; i++) {
        if (out[i] === null || out[i] === undefined) return out.filter((v) => v !== null && v !== undefined);
      }
      return out;
    },
  };
}
