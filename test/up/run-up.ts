import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@virtsim/testkit/ports';

// Starting `virtsim up` as its own process, as a user does, for the tests under test/.

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/virtsim.ts', import.meta.url));

export { freePort };

/** Runs `virtsim <command> args`, collecting its output. */
export function runVirtsim(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

export const runUp = (args: string[], env: Record<string, string> = {}) => runVirtsim('up', args, env);
