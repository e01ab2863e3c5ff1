import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The shared reference data (KubeVirt CRDs, schemas and examples, KWOK's stage files and golden
 * pairs) that tests and benchmarks compare against: $VIRTSIM_REFERENCE_DIR, else `reference/` of
 * the `shared/` folder beside the repository (where CI puts it).
 */
export function referenceDir(): string {
  const candidates = [process.env.VIRTSIM_REFERENCE_DIR, resolve(REPO, '../shared/reference'), '/work/shared/reference'].filter(
    (d): d is string => !!d,
  );
  const dir = candidates.find((d) => existsSync(d));
  if (!dir) throw new Error(`reference data not found: set VIRTSIM_REFERENCE_DIR (looked in ${candidates.join(', ')})`);
  return dir;
}

/** A path inside the reference data, e.g. referencePath('kubevirt', 'examples', 'vm-cirros.yaml'). */
export function referencePath(...parts: string[]): string {
  return join(referenceDir(), ...parts);
}
