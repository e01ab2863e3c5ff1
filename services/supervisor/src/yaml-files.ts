/**
 * The objects of YAML files, read in a short-lived child process.
 *
 * Why a child: the `yaml` package's document trees for KubeVirt's CRDs (1.3 MB of YAML) grow a
 * heap by ~60 MiB, which V8 keeps committed after the garbage is gone, and `virtsim up` lives as
 * long as the fleet. A child gives all of it back when it exits; the parent only parses JSON.
 *
 * Run as a program (`node yaml-files.ts FILE...`), it prints the objects as a JSON array, or the
 * parse error (which names the file, line and column) on stderr with exit code 1.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@virtsim/kube';

const SELF = fileURLToPath(import.meta.url);

/** Every document of the files that is an object with a kind, in order. */
export function readYamlObjects(files: string[]): Promise<KubeObject[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--disable-warning=ExperimentalWarning', SELF, ...files], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(JSON.parse(stdout));
    });
  });
}

function objectsOf(file: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const err = doc.errors[0];
    if (err) throw new Error(`${file}:${err.linePos?.[0].line ?? '?'}:${err.linePos?.[0].col ?? '?'}: ${err.message}`);
    const o = doc.toJS() as unknown;
    if (o && typeof o === 'object' && !Array.isArray(o) && (o as Record<string, unknown>).kind) out.push(o as KubeObject);
  }
  return out;
}

if (process.argv[1] === SELF) {
  try {
    process.stdout.write(JSON.stringify(process.argv.slice(2).flatMap(objectsOf)));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
