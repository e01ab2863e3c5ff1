// One entry for the benchmarks: `npm run bench` lists them, `npm run bench -- NAME [flags]` runs one.
// Each benchmark is bench/NAME/run.ts and says in its first comment lines what it measures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const benches = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.ts')))
  .map((d) => d.name)
  .sort();
// A package's own benchmark (packages/kube/bench/writes.ts) is listed too.
const extra: Record<string, string> = {
  'kube-writes': fileURLToPath(new URL('../packages/kube/bench/writes.ts', import.meta.url)),
  'scheduler-filters': fileURLToPath(new URL('control-plane/filters.ts', import.meta.url)),
  'status-compare': fileURLToPath(new URL('control-plane/status-compare.ts', import.meta.url)),
};
const pathOf = (name: string) => extra[name] ?? join(here, name, 'run.ts');

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  console.log('usage: npm run bench -- NAME [flags]      (flags: see each benchmark\'s first lines)\n');
  for (const b of [...benches, ...Object.keys(extra)]) {
    const first = readFileSync(pathOf(b), 'utf8').split('\n').find((l) => l.startsWith('//'))?.replace(/^\/\/\s*/, '') ?? '';
    console.log(`  ${b.padEnd(15)} ${first}`);
  }
  process.exit(0);
}
if (!benches.includes(name) && !(name in extra)) {
  console.error(`bench: no benchmark ${JSON.stringify(name)}; run npm run bench to list them`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', pathOf(name), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
