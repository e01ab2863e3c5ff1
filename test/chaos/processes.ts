// The processes of one `virtsim up` run, found from /proc: its direct children by role (apiserver,
// nats-server, coordinator, watcher, agent-N, control-plane), their RSS, and signals to them.
import { readdirSync, readFileSync } from 'node:fs';

export interface Child {
  pid: number;
  role: string;
}

function ppidOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** What a child of `up` is, from its command line. */
export function roleOf(argv: string[]): string | undefined {
  if (argv.some((a) => a.endsWith('nats-server'))) return 'nats-server';
  const cli = argv.findIndex((a) => a.endsWith('virtsim.ts'));
  const command = cli >= 0 ? argv[cli + 1] : undefined;
  if (command === 'agent') return argv[argv.indexOf('--identity') + 1] ?? 'agent';
  return command;
}

/** The live children of `upPid`, by role. */
export function childrenOf(upPid: number): Map<string, Child> {
  const out = new Map<string, Child>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || ppidOf(entry) !== upPid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const role = roleOf(argv);
    if (role) out.set(role, { pid: Number(entry), role });
  }
  return out;
}

/** Resident set size in bytes (undefined when the process is gone). */
export function rssOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
