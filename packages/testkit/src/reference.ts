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
  const dir = findReferenceDir();
  if (!dir) throw new Error(`reference data not found: set VIRTSIM_REFERENCE_DIR (looked in ${referenceCandidates().join(', ')})`);
  return dir;
}

function referenceCandidates(): string[] {
  return [process.env.VIRTSIM_REFERENCE_DIR, resolve(REPO, '../shared/reference'), '/work/shared/reference'].filter((d): d is string => !!d);
}

/** The reference data folder, or undefined on a clone without it. */
export function findReferenceDir(): string | undefined {
  return referenceCandidates().find((d) => existsSync(d));
}

/**
 * The test files that compare against the reference data (KubeVirt's examples and schemas, KWOK's
 * stage files): vitest.config.ts leaves them out, saying so in one line, on a clone without it.
 */
export const REFERENCE_TEST_FILES = [
  'packages/apimachinery/src/server-side-apply.test.ts',
  'packages/apimachinery/src/structural-schema.test.ts',
  'packages/gotemplate/src/kwok-stages.test.ts',
  'packages/jq/src/fastpath.test.ts',
  'packages/goformats/src/go-yaml.test.ts',
  'stages/schema.test.ts',
  'test/apiserver/kubectl.test.ts',
  'test/apiserver/builtins-1.26.test.ts',
];

/** A path inside the reference data, e.g. referencePath('kubevirt', 'examples', 'vm-cirros.yaml'). */
export function referencePath(...parts: string[]): string {
  return join(referenceDir(), ...parts);
}
