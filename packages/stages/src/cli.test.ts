/** `virtsim stages validate|explain`: the lines a user sees and the exit codes. */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStagesCommand } from './cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'virtsim-stages-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c: Buffer) => o.push(c));
  err.on('data', (c: Buffer) => e.push(c));
  const code = await runStagesCommand(argv, out, err);
  return { code, out: Buffer.concat(o).toString(), err: Buffer.concat(e).toString() };
}

const header = (name: string) => `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
`;

const BAD = `${header('unknown-field')}  selector: {}
  nxet:
    delete: true
---
${header('bad-jq')}  selector:
    matchExpressions:
    - key: '.status.phase |'
      operator: Exists
---
${header('bad-cel')}  selector:
    matchExpressions:
    - cel:
        expression: "self.status.phase == "
---
${header('no-values')}  selector:
    matchExpressions:
    - key: .status.phase
      operator: In
---
${header('negative-delay')}  selector: {}
  delay:
    durationMilliseconds: -5
---
${header('bad-template')}  selector: {}
  next:
    statusTemplate: |
      phase: Running
      podIP: {{ .status.podIP
`;

const GOOD = `${header('pod-ready')}  selector:
    matchExpressions:
    - key: .status.phase
      operator: In
      values: [Pending]
  delay:
    durationMilliseconds: 1000
    jitterDurationMilliseconds: 3000
  next:
    statusTemplate: |
      phase: Running
      podIP: {{ PodIP }}
      startTime: {{ Now }}
`;

describe('virtsim stages validate', () => {
  it('exit 1 with one line per problem: file:line:col, doc, stage, field path, reason', async () => {
    const f = path.join(dir, 'bad.yaml');
    await writeFile(f, BAD);
    const { code, err } = await run('validate', '-f', f);
    expect(code).toBe(1);
    const lines = err.trim().split('\n');
    const line = (stage: string) => lines.find((l) => l.includes(` stage ${stage}:`)) ?? '';
    expect(line('unknown-field')).toBe(`${f}:10:3: doc 0 stage unknown-field: spec.nxet: unknown field "nxet"`);
    expect(line('bad-jq')).toBe(
      `${f}:23:28: doc 1 stage bad-jq: spec.selector.matchExpressions[0].key: bad jq ".status.phase |" at position 15: unexpected end of input, expected a term`,
    );
    // The column is where cel-es stops parsing, mapped into the file.
    expect(line('bad-cel')).toMatch(
      new RegExp(`^${f}:37:40: doc 2 stage bad-cel: spec\\.selector\\.matchExpressions\\[0\\]\\.cel\\.expression: bad CEL "self\\.status\\.phase == " at line 1 column 19: `),
    );
    expect(line('no-values')).toBe(`${f}:49:7: doc 3 stage no-values: spec.selector.matchExpressions[0].values: operator In needs at least one value`);
    expect(line('negative-delay')).toBe(`${f}:62:27: doc 4 stage negative-delay: spec.delay.durationMilliseconds: must be >= 0, got -5`);
    // The template's second line is file line 76; Go's parser stops at its end (column 24).
    expect(line('bad-template')).toBe(`${f}:76:30: doc 5 stage bad-template: spec.next.statusTemplate: unparsable template at template line 2:24: unclosed action`);
    expect(lines[lines.length - 1]).toBe('6 problems');
    // In file order.
    expect(lines.slice(0, -1).map((l) => Number(l.slice(f.length + 1).split(':')[0]))).toEqual([10, 23, 37, 49, 62, 76]);
  });

  it('exit 0 for good files, folders and kustomizations', async () => {
    const sub = path.join(dir, 'set');
    await mkdir(path.join(sub, 'testdata'), { recursive: true });
    await writeFile(path.join(sub, 'pod-ready.yaml'), GOOD);
    await writeFile(path.join(sub, 'testdata', 'pod.input.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n');
    await writeFile(path.join(sub, 'kustomization.yaml'), 'resources:\n- pod-ready.yaml\n');
    const { code, out } = await run('validate', '-f', sub);
    expect(code).toBe(0);
    expect(out).toBe('1 stages in 1 files: OK\n');
  });

  it('exit 1 for a missing path, 2 for usage errors', async () => {
    expect((await run('validate', '-f', path.join(dir, 'nope.yaml'))).code).toBe(1);
    expect((await run('validate')).code).toBe(2);
    expect((await run('validate', '--bogus')).code).toBe(2);
  });
});

describe('virtsim stages explain', () => {
  it('prints the plan in KWOK golden format', async () => {
    const f = path.join(dir, 'good.yaml');
    await writeFile(f, GOOD);
    const obj = path.join(dir, 'pod.yaml');
    await writeFile(obj, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\nstatus:\n  phase: Pending\n');
    const { code, out } = await run('explain', '-f', f, obj);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'apiGroup: v1',
        'kind: Pod',
        'name: p',
        'namespace: ns',
        'stages:',
        '- delay:',
        '  - 1000000000',
        '  - 3000000000',
        '  next:',
        '  - data:',
        '      status:',
        '        phase: Running',
        '        podIP: <PodIP>',
        '        startTime: <Now>',
        '    kind: patch',
        '    subresource: status',
        '    type: application/merge-patch+json',
        '  stage: pod-ready',
        '  weight: 0',
        '',
      ].join('\n'),
    );
  });
});

describe('the virtsim binary', () => {
  const bin = path.resolve(import.meta.dirname, '../../cli/bin/virtsim.ts');
  const virtsim = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--disable-warning=ExperimentalWarning', bin, ...args], (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('virtsim stages validate exits 0 for good stages and 1 with problem lines for bad ones', async () => {
    const good = path.join(dir, 'bin-good.yaml');
    const bad = path.join(dir, 'bin-bad.yaml');
    await writeFile(good, GOOD);
    await writeFile(bad, BAD);
    const ok = await virtsim('stages', 'validate', '-f', good);
    expect(ok).toMatchObject({ code: 0, stdout: '1 stages in 1 files: OK\n' });
    const ko = await virtsim('stages', 'validate', '-f', bad);
    expect(ko.code).toBe(1);
    expect(ko.stderr.split('\n').filter((l) => l.startsWith(bad)).length).toBe(6);
  });
});
