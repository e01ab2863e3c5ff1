/**
 * State across clean restarts: a snapshot of every object (one JSON line each, tagged with its
 * resource) written on stop and read on start. Custom resource definitions come back first so
 * their resources exist before their objects are read.
 */
import { createReadStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Store } from './store.ts';

const FILE = 'objects.jsonl';
const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

export async function saveSnapshot(store: Store, dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, FILE + '.tmp');
  const fh = await open(tmp, 'w');
  let n = 0;
  try {
    await fh.write(JSON.stringify({ resourceVersion: store.resourceVersion }) + '\n');
    const keys = store.storeKeys().sort((a, b) => (a === CRD_KEY ? -1 : b === CRD_KEY ? 1 : 0));
    for (const key of keys) {
      let batch: string[] = [];
      for (const e of store.scan(key, undefined)) {
        batch.push(`${key}\t${e.json}\n`);
        n++;
        if (batch.length >= 1000) {
          await fh.write(batch.join(''));
          batch = [];
        }
      }
      if (batch.length) await fh.write(batch.join(''));
    }
  } finally {
    await fh.close();
  }
  renameSync(tmp, join(dir, FILE));
  return n;
}

/** Feeds each saved object to `restore` (CRDs first, as saved); returns the saved resourceVersion. */
export async function loadSnapshot(dir: string, restore: (storeKey: string, obj: Record<string, any>) => void): Promise<number> {
  const path = join(dir, FILE);
  if (!existsSync(path)) return 0;
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let rv = 0;
  let first = true;
  for await (const line of rl) {
    if (!line) continue;
    if (first) {
      first = false;
      rv = JSON.parse(line).resourceVersion ?? 0;
      continue;
    }
    const tab = line.indexOf('\t');
    restore(line.slice(0, tab), JSON.parse(line.slice(tab + 1)));
  }
  return rv;
}
