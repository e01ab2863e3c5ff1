// deploy/ as `kubectl kustomize` renders it: what `kubectl apply -k` would send.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The documents of deploy/`dir` (base, overlays/NAME), as plain objects. */
export async function render(dir: string): Promise<any[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', `${REPO}deploy/${dir}`]);
  return parseAllDocuments(stdout).map((d) => d.toJS());
}
