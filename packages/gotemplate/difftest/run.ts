import { execFileSync } from 'node:child_process';
// Built by build.sh; override with GOCHECK=/path/to/gocheck.
const GOCHECK = process.env.GOCHECK ?? '/tmp/gotemplate-gocheck';
import { parseTemplate, sprigFuncs } from '../src/index.ts';
import { data, srcs } from './corpus.ts';
const names = Object.keys(sprigFuncs);
const cases = srcs.map((src) => ({ src, data }));
const go = JSON.parse(execFileSync(GOCHECK, { input: JSON.stringify(cases) }).toString());
let bad = 0;
cases.forEach((c, i) => {
  let out = '', err = '';
  try { out = parseTemplate(c.src, { name: 't', funcNames: names }).execute(structuredClone(c.data), sprigFuncs); } catch (e) { err = (e as Error).message; }
  const g = go[i];
  const gerr = g.err ?? '';
  const okOut = err ? true : out === g.out;
  const okErr = (err === '') === (gerr === '') && (err === gerr || !process.env.STRICT);
  if (!okOut || !okErr || (err && gerr && err !== gerr)) {
    bad++;
    console.log(`--- ${c.src}\n  go : ${JSON.stringify(g.out)} ${gerr}\n  ts : ${JSON.stringify(out)} ${err}`);
  }
});
console.log(`${cases.length - bad}/${cases.length} identical`);
