import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readSpanStore } from './span-store.ts';
import { buildWaterfall, findLifecycle, renderSlowest, renderWaterfall, slowestLifecycles, startupOnly } from './trace-view.ts';

const HELP = `usage: virtsim trace [--state-dir DIR] <vmi-name|namespace/name>
       virtsim trace [--state-dir DIR] --slowest N [--kind VirtualMachineInstanceMigration]
Shows a VMI's (or migration's) life from the spans 'virtsim up' keeps in <state-dir>/traces:
its phases as the API showed them, who ended each (the fleet or the control plane), and the
fleet's spans (watch event, NATS hop, stage, delay, API write) under the phase they served.
  --state-dir DIR   virtsim up's state dir (default .virtsim)
  --slowest N       the N slowest lifecycles of the run, with the phase that took longest
  --kind KIND       with --slowest: VirtualMachineInstance (default) or VirtualMachineInstanceMigration
  --whole           the whole life (default: creation until Running, or a migration's end)
  --width N         width of the time axis (default 48)`;

export async function runTraceCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'state-dir': { type: 'string' },
        slowest: { type: 'string' },
        kind: { type: 'string' },
        width: { type: 'string' },
        whole: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`virtsim trace: ${(err as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP + '\n');
    return 0;
  }
  const fail = (msg: string) => {
    process.stderr.write(`virtsim trace: ${msg}\n`);
    return 1;
  };
  const dir = join(values['state-dir'] ?? '.virtsim', 'traces');
  const spans = readSpanStore(dir);
  if (spans.length === 0) return fail(`no spans in ${dir} (was the fleet started with 'virtsim up --state-dir ${values['state-dir'] ?? '.virtsim'}'?)`);
  if (values.slowest !== undefined) {
    const n = Number(values.slowest);
    if (!Number.isInteger(n) || n < 1) return fail(`--slowest must be a positive integer, got ${JSON.stringify(values.slowest)}`);
    out(renderSlowest(slowestLifecycles(spans, n, values.kind ?? 'VirtualMachineInstance')) + '\n');
    return 0;
  }
  if (positionals.length !== 1) return fail(`give one VMI (name or namespace/name), or --slowest N; see --help`);
  const width = values.width === undefined ? 48 : Number(values.width);
  if (!Number.isInteger(width) || width < 10) return fail(`--width must be an integer >= 10, got ${JSON.stringify(values.width)}`);
  try {
    const w = buildWaterfall(spans, findLifecycle(spans, positionals[0]));
    out(renderWaterfall(values.whole ? w : startupOnly(w), width) + '\n');
  } catch (err) {
    return fail((err as Error).message);
  }
  return 0;
}
