import { execFileSync } from 'node:child_process';
// Built by build.sh; override with GOCHECK=/path/to/gocheck.
const GOCHECK = process.env.GOCHECK ?? '/tmp/gotemplate-gocheck';
import { parseTemplate, sprigFuncs } from '../src/index.ts';
import { data } from './corpus.ts';
const names = Object.keys(sprigFuncs);
let seed = Number(process.argv[2] ?? 1);
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
const fields = ['.a', '.a.b', '.a.c', '.n', '.s', '.l', '.e', '.m', '.m.w', '.m.x', '.num', '.zero', '.big', '.fl', '.neg', '.t', '.f', '.emp', '.em', '.items', '.uni', '.nope', '$', '.', '$.s'];
const lits = ['1', '0', '-2', '1.5', '2.0', '1e6', '"x"', '""', '`r`', 'true', 'false', "'a'", 'nil', '0x1f'];
const fns0 = ['len', 'not', 'print', 'println', 'html', 'js', 'urlquery', 'toJson', 'quote', 'upper', 'default "d"', 'empty', 'typeOf', 'kindOf', 'first', 'toString', 'b64enc', 'trim', 'list', 'printf "%v"', 'printf "%d"', 'printf "%s|%q"', 'printf "%5.2f"', 'printf "%x"'];
const fns2 = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'index', 'print', 'add', 'max', 'coalesce', 'default', 'has', 'get', 'hasKey', 'dict', 'list', 'join ","', 'slice'];
function operand(d: number): string {
  const r = rnd();
  if (r < 0.45 || d > 2) return pick(fields);
  if (r < 0.7) return pick(lits);
  return `(${pipeline(d + 1)})`;
}
function command(d: number): string {
  const r = rnd();
  if (r < 0.35) return operand(d);
  if (r < 0.65) return `${pick(fns0)} ${operand(d)}`;
  return `${pick(fns2)} ${operand(d)} ${operand(d)}`;
}
function pipeline(d: number): string {
  let p = command(d);
  if (rnd() < 0.25) p += ` | ${pick(fns0)}`;
  return p;
}
const ws = () => pick(['', ' ', '\n', '  \n ', '\t']);
const open = () => pick(['{{', '{{ ', '{{- ', '{{-  ']);
const close = () => pick(['}}', ' }}', ' -}}', '  -}}']);
function body(d: number): string {
  let s = '';
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    s += ws() + pick(['a', 'b:', '-', 'x y']) + ws();
    const r = rnd();
    if (r < 0.5 || d > 1) s += `${open()}${pipeline(0)}${close()}`;
    else if (r < 0.6) s += `${open()}$v${i} := ${pipeline(0)}${close()}${open()}$v${i}${close()}`;
    else if (r < 0.72) s += `${open()}if ${pipeline(0)}${close()}${body(d + 1)}${open()}else${close()}${body(d + 1)}${open()}end${close()}`;
    else if (r < 0.84) s += `${open()}with ${pipeline(0)}${close()}${body(d + 1)}${open()}end${close()}`;
    else s += `${open()}range $i, $x := ${operand(0)}${close()}${open()}$i${close()}=${open()}$x${close()}${body(d + 1)}${open()}else${close()}E${open()}end${close()}`;
  }
  return s;
}
const N = Number(process.argv[3] ?? 400);
const srcs = Array.from({ length: N }, () => body(0));
const go = JSON.parse(execFileSync(GOCHECK, { input: JSON.stringify(srcs.map((src) => ({ src, data }))), maxBuffer: 1 << 28 }).toString());
let same = 0, shown = 0;
const norm = (e: string) => e.replace(/incompatible types for comparison: .*/, 'incompatible types for comparison');
srcs.forEach((src, i) => {
  let out = '', err = '';
  try { out = parseTemplate(src, { name: 't', funcNames: names }).execute(structuredClone(data), sprigFuncs); } catch (e) { err = (e as Error).message.replace(/^(template: t:\d+):\d+: (?!executing)/, '$1: '); }
  const g = go[i];
  const gerr = norm(g.err ?? '');
  if ((err ? '' : out) === (gerr ? '' : g.out) && norm(err) === gerr) { same++; return; }
  if (shown++ < 12) console.log(`--- ${JSON.stringify(src)}\n  go: ${JSON.stringify(g.out)} ${gerr}\n  ts: ${JSON.stringify(out)} ${err}`);
});
console.log(`${same}/${N} identical`);
