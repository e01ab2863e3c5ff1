import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('generated gRPC types', () => {
  it('are what `npm run generate` produces from proto/ today', () => {
    const pkg = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const command = pkg.scripts.generate.split('&&').pop()!.trim().split(/\s+/);
    expect(command[0]).toBe('proto-loader-gen-types');
    const out = mkdtempSync(join(tmpdir(), 'virtsim-gen-'));
    try {
      const args = command.slice(1);
      args[args.indexOf('-O') + 1] = out;
      const bin = createRequire(import.meta.url).resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
      execFileSync(process.execPath, [bin, ...args], { cwd: PKG_DIR, stdio: 'pipe' });
      const committed = join(PKG_DIR, 'src/generated');
      const fresh = files(out).map((f) => relative(out, f)).sort();
      expect(files(committed).map((f) => relative(committed, f)).sort()).toEqual(fresh);
      for (const f of fresh) {
        expect(readFileSync(join(committed, f), 'utf8'), `${f} is stale: run npm run generate -w packages/fleet-proto`).toBe(readFileSync(join(out, f), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
