// Seeded fuzzing of the stage loader with mutated copies of the default stage files: whatever the
// damage, a file is loaded or refused with problems that name the file and a line, never a crash.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fuzz, type Fuzzer } from '@virtsim/testkit/fuzz';
import { compileStage } from './compile.ts';
import { parseStages } from './load.ts';

const STAGES = fileURLToPath(new URL('../../../stages/', import.meta.url));
const FILES = ['vmi', 'pod', 'node', 'vmim'].flatMap((d) =>
  readdirSync(STAGES + d).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').map((f) => ({ name: `${d}/${f}`, text: readFileSync(`${STAGES}${d}/${f}`, 'utf8') })),
);
const NOISE = ['', ' ', '  ', ':', '- ', '{{', '}}', '"', "'", '\t', '[', '{', '&a', '*a', '!!int', '|', 'null', '-1', 'jq', '$x'];

function mutate(f: Fuzzer, text: string): string {
  let lines = text.split('\n');
  for (let n = 1 + f.int(3); n > 0; n--) {
    const i = f.int(lines.length);
    const line = lines[i] ?? '';
    const at = f.int(line.length + 1);
    switch (f.int(5)) {
      case 0: lines.splice(i, 1); break; // drop a line
      case 1: lines.splice(i, 0, line); break; // duplicate it (duplicate keys)
      case 2: lines[i] = line.slice(0, at) + f.pick(NOISE) + line.slice(at); break;
      case 3: lines[i] = line.slice(0, at); break; // cut it short
      default: lines[i] = ' '.repeat(f.int(6)) + line.trimStart(); // re-indent
    }
  }
  return lines.join('\n');
}

describe('the stage loader under fuzzed files', () => {
  it('loads or refuses every mutated stage file with the file and a line', () => {
    let refused = 0;
    let loaded = 0;
    fuzz('stage files', 1500, 20261205, (f) => {
      const file = f.pick(FILES);
      const text = mutate(f, file.text);
      const { stages, problems } = parseStages(text, file.name);
      for (const s of stages) problems.push(...compileStage(s).problems);
      for (const p of problems) {
        expect(p.file).toBe(file.name);
        expect(p.line, p.reason).toBeGreaterThanOrEqual(0);
        expect(p.reason.length).toBeGreaterThan(0);
      }
      if (problems.length) refused++;
      else loaded++;
    });
    // Both outcomes happened: the mutations were neither all harmless nor all fatal.
    expect(refused).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(0);
  });
});
