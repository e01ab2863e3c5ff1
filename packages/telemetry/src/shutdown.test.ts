// ShutdownHandler in a real child process, signalled as a shell or `virtsim up` signals it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';

const SHUTDOWN = fileURLToPath(new URL('./shutdown.ts', import.meta.url));

/** A process whose one shutdown step takes `stepMs`; prints "ready", then what happens. */
function serviceWithSlowStop(stepMs: number) {
  const script = `
    import { pino } from 'pino';
    import { ShutdownHandler } from ${JSON.stringify(SHUTDOWN)};
    const log = pino();
    const s = new ShutdownHandler(log, 10_000, 1_000);
    s.add('slow step', () => new Promise((r) => setTimeout(() => { log.info('slow step done'); r(); }, ${stepMs})));
    s.installSignalHandlers();
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

describe('ShutdownHandler', () => {
  it('takes the same stop arriving twice at once (a group-wide Ctrl-C echoed by the parent) as one clean stop', async () => {
    const p = serviceWithSlowStop(300);
    await waitFor('ready', () => p.out().includes('ready'), { timeoutMs: 10_000 });
    p.child.kill('SIGINT');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain('slow step done');
    expect(p.out()).not.toContain('second signal');
  });

  it('exits at once on a second signal well after the first (an impatient user)', async () => {
    const p = serviceWithSlowStop(60_000);
    await waitFor('ready', () => p.out().includes('ready'), { timeoutMs: 10_000 });
    p.child.kill('SIGTERM');
    await waitFor('stop begun', () => p.out().includes('shutting down'), { timeoutMs: 10_000 });
    // The echo window is 1 s: wait until it has passed by the process's own log clock.
    const began = JSON.parse(p.out().split('\n').find((l) => l.includes('shutting down'))!).time as number;
    await waitFor('echo window over', () => Date.now() > began + 1_100, { timeoutMs: 5_000 });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(1);
    expect(p.out()).toContain('second signal, exiting now');
    expect(p.out()).not.toContain('slow step done');
  });
});
