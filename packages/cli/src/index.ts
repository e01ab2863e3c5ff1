import { commands, type Command } from './commands.ts';
import { watchLauncher } from './launcher-watch.ts';

function usage(): string {
  const lines = ['usage: virtsim <command> [flags]', '', 'commands:'];
  for (const [name, cmd] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)} ${cmd.summary}`);
  lines.push('', "run 'virtsim <command> --help' for a command's flags");
  return lines.join('\n');
}

/** Runs one subcommand; resolves to the process exit code (undefined for long-running servers). */
export async function main(argv: string[]): Promise<number | void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd: Command | undefined = commands[name];
  if (!cmd) {
    process.stderr.write(`virtsim: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  // Stop with the process the user started (npx, `virtsim up`), however it went away.
  watchLauncher();
  // Each service is imported only when asked for, so `virtsim stages validate` does not load gRPC.
  return cmd.run(rest);
}
