import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { abandonLogOutput } from '@virtsim/telemetry';

/**
 * Makes a virtsim command stop (through its own SIGTERM handler, so cleanly) when the process the
 * user started is gone, whoever signalled it and with what:
 *
 * - Under `virtsim up` (VIRTSIM_PARENT_PID set): when the supervisor is gone, even by SIGKILL.
 * - Under npm (`npx virtsim up`, an `npm run` script): the process tree is
 *   `npm exec` -> `sh -c virtsim` -> `node virtsim.ts`. `kill <npx pid>` reaches npm only; npm
 *   forwards SIGTERM/SIGINT to the shell, which dies without passing it on, and SIGHUP/SIGKILL
 *   are not forwarded at all. So we watch every process between us and npm, and stop when one of
 *   them goes away.
 *
 * A command started directly (`virtsim up &` in a script that then exits) is left alone: being
 * reparented is what a user who backgrounds it asked for.
 */
export function watchLauncher(env: NodeJS.ProcessEnv = process.env, intervalMs = 500): void {
  const parent = Number(env.VIRTSIM_PARENT_PID);
  if (parent) {
    watch(() => {
      if (process.ppid === parent) return false;
      // The supervisor read our stdout: nothing will, so the shutdown's log lines must not wait for it.
      abandonLogOutput();
      return true;
    }, intervalMs);
    return;
  }
  const chain = npmLauncherChain(env);
  if (chain.length === 0) return;
  watch(() => chain.some((p) => !isSameProcess(p)), intervalMs);
}

function watch(gone: () => boolean, intervalMs: number): void {
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessId {
  pid: number;
  startTime: string;
}

interface ProcStat {
  state: string;
  ppid: number;
  startTime: string;
}

/** /proc/<pid>/stat: fields after the command name, which may itself hold spaces and parentheses. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime).
  return { state: f[0]!, ppid: Number(f[1]), startTime: f[19]! };
}

function isSameProcess(p: ProcessId): boolean {
  const s = readProcStat(p.pid);
  return !!s && s.state !== 'Z' && s.startTime === p.startTime;
}

function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** npm names itself `npm exec …`/`npm run …` (process.title); before that it is `node …/npm-cli.js`. */
export function isNpmCommandLine(argv: string[]): boolean {
  const first = argv[0]?.split(' ')[0] ?? '';
  if (first === 'npm' || first === 'npx') return true;
  return argv.slice(1, 2).some((a) => /^(npm|npx)(-cli)?(\.js)?$/.test(basename(a)));
}

/**
 * The processes from our parent up to and including the npm that launched us; empty when npm did
 * not launch us (no npm_* variables, or no npm among the ancestors, or no /proc on this system).
 */
export function npmLauncherChain(env: NodeJS.ProcessEnv = process.env, fromPid = process.ppid): ProcessId[] {
  if (!env.npm_command && !env.npm_lifecycle_event) return [];
  const chain: ProcessId[] = [];
  for (let pid = fromPid, depth = 0; pid > 1 && depth < 16; depth++) {
    const stat = readProcStat(pid);
    if (!stat) return [];
    chain.push({ pid, startTime: stat.startTime });
    if (isNpmCommandLine(readCmdline(pid))) return chain;
    pid = stat.ppid;
  }
  return [];
}
