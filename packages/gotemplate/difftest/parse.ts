import { execFileSync } from 'node:child_process';
// Built by build.sh; override with GOCHECK=/path/to/gocheck.
const GOCHECK = process.env.GOCHECK ?? '/tmp/gotemplate-gocheck';
import { parseTemplate, sprigFuncs } from '../src/index.ts';
const names = Object.keys(sprigFuncs);
const srcs = [
  '{{ .a', 'line one\n  {{ foo }}', '{{ if .a }}x', 'a\n{{ end }}', '{{ else }}', '{{ $x }}', '{{ "abc }}', '{{ `abc }}', '{{ 3x }}', '{{ .a | 3 }}',
  '{{ break }}', '{{ range . }}{{ continue 1 }}{{ end }}', '{{ range $i, $j, $k := . }}{{ end }}', '{{ /* c */ }}', '{{/* c */ x }}', '{{/* c ', '{{ ) }}', '{{ (1 }}',
  '{{ define "x" }}abc', '{{ if }}{{ end }}', '{{ template .x }}', '{{ template . }}', '{{ 1.a }}', '{{ true.a }}', '{{ .a b }}', '{{ $x := 1 }}{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}',
  'héllo {{ .a ! }}', '{{ $a, $b := 1 }}', '{{ range $a, 1 }}{{ end }}', '{{ if 1 }}{{ else }}{{ else }}{{ end }}', '{{ with 1 }}{{ else if 1 }}{{ end }}', '{{ define "a" }}{{ define "b" }}{{ end }}{{ end }}',
  '{{ "\\q" }}', "{{ 'ab' }}", '{{ .a.b.c d }}', '{{ | }}', '{{ .a | }}', '{{ $ := 1 }}', '{{ 0x }}', '{{ 1e }}', '{{ - }}', '{{ .a: }}', '{{ a:= 1 }}', '{{ end', '{{}}', '{{ }}', '{{- -}}',
  '{{ printf "%d" 1 2 | print | }}', '{{ template "x" 1 2 }}', '{{ block "b" }}x{{ end }}', '{{ range }}{{ end }}', '{{ nil.a }}', '{{ (nil).a }}', '{{ .a.b | .c }}', '{{ $x = 1 }}',
  '{{- /* ok */ -}}', '{{-/* x */}}', '{{ /*x*/}}', '{{ 9223372036854775808 }}', '{{ 1.5.6 }}', "{{ '\\x' }}", '{{ "a" "b" }}', '{{ .a.b(1) }}',
];
const go = JSON.parse(execFileSync(GOCHECK, { input: JSON.stringify(srcs.map((src) => ({ src, data: {} }))) }).toString());
let same = 0;
srcs.forEach((src, i) => {
  let err = '';
  try { parseTemplate(src, { name: 't', funcNames: names }); } catch (e) { err = (e as Error).message.replace(/^(template: t:\d+):\d+:/, '$1:'); }
  const g = go[i].err ?? '';
  const gp = g.includes('executing') ? '' : g; // only parse errors matter here
  if (gp === err) same++; else console.log(`--- ${JSON.stringify(src)}\n  go: ${gp}\n  ts: ${err}`);
});
console.log(`${same}/${srcs.length} identical`);
