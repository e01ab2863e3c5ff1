import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { isNpmCommandLine, npmLauncherChain, readProcStat } from './launcher-watch.ts';

describe('launcher watch', () => {
  it('recognises npm under its process title and before it sets one', () => {
    expect(isNpmCommandLine(['npm exec virtsim up --nodes 2'])).toBe(true);
    expect(isNpmCommandLine(['npm run dev'])).toBe(true);
    expect(isNpmCommandLine(['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'virtsim'])).toBe(true);
    expect(isNpmCommandLine(['sh', '-c', 'virtsim up'])).toBe(false);
    expect(isNpmCommandLine(['node', '/work/node_modules/.bin/virtsim', 'npm'])).toBe(false);
    expect(isNpmCommandLine([])).toBe(false);
  });

  it('reads the parent and start time from /proc, including for a command name with spaces', () => {
    const own = readProcStat(process.pid);
    expect(own?.ppid).toBe(process.ppid);
    expect(own?.startTime).toMatch(/^\d+$/);
    expect(readProcStat(2 ** 22 + 1)).toBeUndefined();
  });

  it('watches nothing when npm did not start us', () => {
    expect(npmLauncherChain({}, process.pid)).toEqual([]);
  });

  it('finds the chain up to the npm that launched a command through a shell', async () => {
    // A real `npm exec`-shaped tree: a process titled like npm, its shell, the command.
    const npm = spawn(process.execPath, ['-e', `process.title = 'npm exec virtsim'; require('child_process').spawn('sh', ['-c', 'sleep 30; :'], { stdio: 'inherit' }); setTimeout(() => {}, 30000)`], { stdio: 'ignore' });
    const started: number[] = [];
    try {
      const shell = await waitFor('the shell under the fake npm', () => childOf(npm.pid!));
      const sleeper = await waitFor('the command under the shell', () => childOf(shell));
      started.push(shell, sleeper);
      const chain = npmLauncherChain({ npm_command: 'exec' }, readProcStat(sleeper)!.ppid);
      expect(chain.map((p) => p.pid)).toEqual([shell, npm.pid]);
    } finally {
      npm.kill('SIGKILL');
      for (const pid of started) process.kill(pid, 'SIGKILL');
    }
  });
});

function childOf(pid: number): number | undefined {
  for (const e of readdirSync('/proc')) if (/^\d+$/.test(e) && readProcStat(Number(e))?.ppid === pid) return Number(e);
  return undefined;
}
