import { FlagError, loadTlsFiles, readFlags } from '@virtsim/telemetry';
import { CoordinatorClient } from '@virtsim/fleet-proto';

const USAGE = `usage: virtsim coordinator table [--address HOST:PORT] [--json]

Prints the coordinator's slot table and membership (the GetTable call).

flags:
  --address HOST:PORT  the coordinator (default 127.0.0.1:7400)
  --json               the whole table as JSON (owners of all 1024 slots included)
  --tls-ca FILE        the coordinator serves TLS: trust this CA (PEM)
  --tls-cert FILE      mTLS: this client certificate (PEM) ...
  --tls-key FILE       ... and its key
  --tls-server-name N  the name the coordinator's certificate is checked against (default: the host)
`;

/** `virtsim coordinator table`: one GetTable call, printed for people or as JSON. */
export async function runTableCommand(argv: string[]): Promise<number> {
  const flags = readFlags('virtsim coordinator table', argv, {
    address: { type: 'string' },
    json: { type: 'boolean' },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-server-name': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (!flags) return 2;
  const { values } = flags;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const address = values.address ?? '127.0.0.1:7400';
  let tls;
  try {
    tls = loadTlsFiles({ cert: 'tls-cert', key: 'tls-key', ca: 'tls-ca' }, { cert: values['tls-cert'], key: values['tls-key'], ca: values['tls-ca'] });
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`virtsim coordinator table: ${err.message}\n`);
    return 2;
  }
  // Only GetTable is called: the client never joins.
  const client = new CoordinatorClient({ address, agentId: 'virtsim-coordinator-table', tls: tls && { ...tls, serverName: values['tls-server-name'] } });
  try {
    const t = await client.getTable();
    if (values.json) {
      process.stdout.write(JSON.stringify(t, null, 2) + '\n');
      return 0;
    }
    const unowned = t.owners.filter((o) => o === '').length;
    const lines = [`epoch ${t.epoch}  slots ${t.slotCount}  members ${t.members.length}  revoking ${t.revoking.length}  unowned ${unowned}  moves ${t.moves}`];
    lines.push(`${'AGENT'.padEnd(40)} ${'SLOTS'.padStart(6)} ${'REVOKING'.padStart(9)} ${'HEARTBEAT AGE'.padStart(14)}`);
    for (const m of t.members) {
      lines.push(`${m.agentId.padEnd(40)} ${String(m.slots.length).padStart(6)} ${String(m.revoking.length).padStart(9)} ${`${m.heartbeatAgeMs} ms`.padStart(14)}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`virtsim coordinator table: GetTable on ${address} failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}
