// Conformance: every input/output example of the jq manual, run through the interpreter.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileJqInterpreted } from './index.ts';
import { loadManualExamples } from './manual-examples.ts';
import { toJson } from './values.ts';

const FILE = fileURLToPath(new URL('./testdata/jq-manual-examples.txt', import.meta.url));

/** Examples whose answer depends on what gojq (and this package) deliberately do differently. */
const SKIP: Record<string, string> = {
  '[., tojson] == if have_decnum then [12345678909876543212345,"12345678909876543212345"] else [12345678909876543000000,"12345678909876543000000"] end':
    'numbers are float64 (no decnum); gojq prints floats >= 1e21 in exponent form, as we do',
  'try error("\\($__loc__)") catch .': 'gojq does not support $__loc__',
  '$ENV.PAGER': '$ENV is empty: stage expressions must not depend on the environment',
  'env.PAGER': 'env is empty: stage expressions must not depend on the environment',
};

describe('jq manual examples (interpreter)', () => {
  const examples = loadManualExamples(FILE);
  it('has the whole table', () => {
    expect(examples.length).toBeGreaterThan(200);
  });
  for (const ex of examples) {
    const skip = SKIP[ex.program];
    (skip ? it.skip : it)(`line ${ex.line}: ${ex.program}`, () => {
      const got = compileJqInterpreted(ex.program).run(JSON.parse(ex.input)).map(toJson);
      expect(got).toEqual(ex.outputs.map((o) => toJson(JSON.parse(o))));
    });
  }
});
