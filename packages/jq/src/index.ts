// @virtsim/jq: jq (gojq semantics) for KWOK stage selectors, weights and delays.
// compileJq() compiles the path-and-select shapes stage files use to direct functions and falls
// back to the interpreter for everything else; both give the same results.
import { parse } from './parser.ts';
import { InterpretedProgram, type JqProgram } from './program.ts';
import { checkProgram } from './check.ts';
import { compileFast } from './fastpath.ts';

export { JqSyntaxError, JqRuntimeError } from './errors.ts';
export type { JqProgram } from './program.ts';
export { toJson, compare as compareValues, equals as valuesEqual, typeOf } from './values.ts';

export interface CompileOptions {
  /** Names (without `$`) of the variables that will be passed to run()/first(). */
  varNames?: string[];
}

export function compileJqInterpreted(expr: string, opts?: CompileOptions): JqProgram {
  const ast = parse(expr);
  checkProgram(expr, ast, opts?.varNames ?? []);
  return new InterpretedProgram(expr, ast);
}

export function compileJq(expr: string, opts?: CompileOptions): JqProgram {
  const ast = parse(expr);
  checkProgram(expr, ast, opts?.varNames ?? []);
  return compileFast(expr, ast) ?? new InterpretedProgram(expr, ast);
}
