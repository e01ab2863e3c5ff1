// @virtsim/gotemplate: Go text/template as KWOK uses it (plus sprig), compiled
// once to closures. See values.ts for how Go values map to JavaScript.

import { CompiledSet } from './compile.ts';
import type { FuncMap } from './compile.ts';
import { parse } from './parser.ts';

export type { FuncMap } from './compile.ts';
export { TemplateParseError, TemplateExecError } from './errors.ts';
export { sprigFuncs } from './sprig.ts';
export { markNative } from './builtins.ts';
export { withSignature } from './signatures.ts';
export { GoFloat, GoInt64, GoTime, formatV as formatGoValue, typeName as goTypeName, isTrue as goTruth, toPlain } from './values.ts';
export { sprintf as goSprintf, goQuote } from './fmt.ts';

export interface ParseOptions {
  /** Template name used in error messages (KWOK uses "_"). Default "_". */
  name?: string;
  /** Functions that will be supplied at execute time; Go requires them known at parse time. */
  funcNames?: Iterable<string>;
}

export interface Template {
  readonly name: string;
  /**
   * Render with `data` as dot. Functions in `funcs` override builtins, as in Go.
   * Functions marked with markNative() (sprigFuncs are) receive Go values as the
   * template holds them; others get ints/floats as JS numbers and nil as null.
   */
  execute(data: unknown, funcs?: FuncMap): string;
}

class CompiledTemplateImpl implements Template {
  readonly name: string;
  private readonly set: CompiledSet;
  constructor(name: string, set: CompiledSet) {
    this.name = name;
    this.set = set;
  }
  execute(data: unknown, funcs?: FuncMap): string {
    return this.set.execute(this.name, data, funcs);
  }
}

/** Parse and compile a template. Throws TemplateParseError. */
export function parseTemplate(src: string, opts: ParseOptions = {}): Template {
  const name = opts.name ?? '_';
  const parsed = parse(src, name, opts.funcNames);
  return new CompiledTemplateImpl(name, new CompiledSet(parsed));
}
