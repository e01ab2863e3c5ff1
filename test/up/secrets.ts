import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The secrets a `virtsim up` run generated, as strings that must never show up anywhere else: the
 * NATS token, the API server's bearer token (from the kubeconfig) and every line of every private
 * key's PEM body.
 */
export function generatedSecrets(stateDir: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  out.push({ name: 'NATS token', value: readFileSync(join(stateDir, 'secrets/nats-token'), 'utf8').trim() });
  const kubeToken = /token: (\S+)/.exec(readFileSync(join(stateDir, 'kubeconfig'), 'utf8'))?.[1];
  if (kubeToken) out.push({ name: 'API token', value: kubeToken });
  const pki = join(stateDir, 'secrets/pki');
  for (const f of readdirSync(pki).filter((f) => f.endsWith('.key'))) {
    const body = readFileSync(join(pki, f), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
    body.forEach((line, i) => out.push({ name: `${f} line ${i + 1}`, value: line }));
  }
  // Short fragments could match by chance; every real one is far longer.
  for (const s of out) if (s.value.length < 20) throw new Error(`secret ${s.name} is too short to search for`);
  return out;
}

/** The names of the secrets found in `text` (none is the answer wanted). */
export function secretsIn(text: string, secrets: { name: string; value: string }[]): string[] {
  return secrets.filter((s) => text.includes(s.value)).map((s) => s.name);
}

/** The command line and environment of a running process, as `ps e` shows them. */
export function processText(pid: number): string {
  const read = (f: string) => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return '';
    }
  };
  return `${read('cmdline')}\n${read('environ')}`;
}

/** Every log file of the run, concatenated. */
export function allLogs(stateDir: string): string {
  const dir = join(stateDir, 'logs');
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

/** Files under secrets/ that anyone but the owner could read (want none). */
export function looseSecretFiles(stateDir: string): string[] {
  const loose: string[] = [];
  const walk = (dir: string) => {
    if ((statSync(dir).mode & 0o077) !== 0) loose.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      // Certificates are public; everything else (keys, token, nats.conf) is owner-only.
      else if (!p.endsWith('.crt') && (statSync(p).mode & 0o077) !== 0) loose.push(p);
    }
  };
  walk(join(stateDir, 'secrets'));
  return loose;
}
