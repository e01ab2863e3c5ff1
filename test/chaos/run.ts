// `npm run chaos [-- --short] [--vmis N --nodes N --agents N --rate R]`: the chaos run of issue 13.
// Full: 20,000 VMIs on 2,000 nodes with 4 agents; --short: 2,000 VMIs, 200 nodes, 3 agents. Prints
// the fault table; exits 1 when anything was lost or a process's RSS ended over its expectation.
import { createLogger, readFlags } from '@virtsim/telemetry';
import { FULL_PLAN, formatResult, runChaos } from './chaos.ts';

const flags = readFlags('npm run chaos', process.argv.slice(2), {
  short: { type: 'boolean' },
  vmis: { type: 'int', min: 1 },
  nodes: { type: 'int', min: 1 },
  agents: { type: 'int', min: 2 },
  rate: { type: 'int', min: 1 },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const);
if (!flags) process.exit(2);
if (flags.values.help) {
  process.stdout.write('usage: npm run chaos [-- --short] [--vmis N] [--nodes N] [--agents N] [--rate VMIs/s] [--state-dir DIR]\n');
  process.exit(0);
}
const v = flags.values;
const vmis = v.vmis ?? (v.short ? 2_000 : 20_000);
const log = createLogger('chaos');
log.level = process.env.VIRTSIM_LOG_LEVEL ?? 'warn';
const result = await runChaos({
  vmis,
  nodes: v.nodes ?? (v.short ? 200 : 2_000),
  agents: v.agents ?? (v.short ? 3 : 4),
  // Creation runs until about 180 s after the start, so every fault meets VMIs in flight.
  rate: v.rate ?? vmis / 170,
  plan: FULL_PLAN,
  settleTimeoutMs: 300_000,
  stateDir: v['state-dir'],
  log,
  print: (line) => process.stdout.write(line + '\n'),
});
process.stdout.write('\n' + formatResult(result) + '\n');
process.exit(result.lost === 0 && result.rssOver.length === 0 ? 0 : 1);
