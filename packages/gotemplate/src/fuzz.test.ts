// Seeded fuzzing of Go templates built from KWOK's pieces: each parses or fails with a
// TemplateParseError naming line and column, and executes or fails with a TemplateExecError.
import { describe, expect, it } from 'vitest';
import { fuzz, type Fuzzer } from '@virtsim/testkit/fuzz';
import { parseTemplate, sprigFuncs, TemplateExecError, TemplateParseError } from './index.ts';

const PIPES = ['.', '.metadata.name', '.status.phase', '$', '"text"', '1', 'true', 'nil', 'now', '.spec.nodeName', '(index .metadata.labels "app")', 'len .items'];
const FUNCS = ['quote', 'upper', 'default "x"', 'toJson', 'trim', 'b64enc', 'printf "%v"', 'nosuchfunc'];
const ACTIONS = [
  (p: string) => `{{ ${p} }}`,
  (p: string) => `{{ ${p} | ${'FUNC'} }}`,
  (p: string) => `{{ if ${p} }}yes{{ else }}no{{ end }}`,
  (p: string) => `{{ range ${p} }}[{{ . }}]{{ end }}`,
  (p: string) => `{{ with ${p} }}{{ . }}{{ end }}`,
  (p: string) => `{{ $v := ${p} }}{{ $v }}`,
  // Broken on purpose.
  (p: string) => `{{ ${p}`,
  (p: string) => `{{ end }}${p}`,
  (p: string) => `{{ if ${p} }}`,
];

function template(f: Fuzzer): string {
  let out = '';
  for (let n = 1 + f.int(4); n > 0; n--) out += f.pick(['status:\n  ', 'x', '\n', '']) + f.pick(ACTIONS)(f.pick(PIPES)).replace('FUNC', f.pick(FUNCS));
  return out;
}

const DATA = [
  { metadata: { name: 'vmi-1', labels: { app: 'x' } }, status: { phase: 'Running' }, spec: { nodeName: 'n1' }, items: [1, 2] },
  {},
  { items: 'not a list', metadata: null },
];

describe('Go templates under fuzzed input', () => {
  it('parse or refuse with a position, execute or fail with a TemplateExecError', () => {
    let ran = 0;
    const tried = fuzz('go templates', 3000, 20261205, (f) => {
      const src = template(f);
      let t;
      try {
        t = parseTemplate(src, { funcNames: Object.keys(sprigFuncs) });
      } catch (e) {
        if (e instanceof TemplateParseError) {
          expect(e.line, src).toBeGreaterThanOrEqual(1);
          return;
        }
        throw new Error(`${JSON.stringify(src)}: ${(e as Error).stack}`);
      }
      try {
        expect(typeof t.execute(f.pick(DATA), sprigFuncs as never)).toBe('string');
        ran++;
      } catch (e) {
        if (!(e instanceof TemplateExecError)) throw new Error(`${JSON.stringify(src)}: ${(e as Error).stack}`);
      }
    });
    expect(ran).toBeGreaterThan(tried / 10);
  });
});
