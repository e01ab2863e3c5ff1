/**
 * Reads `objects.jsonl`, the stop-time snapshot older versions wrote (one JSON line per object,
 * tagged with its resource; CRDs first), so a data dir from before the durable store (journal.ts)
 * is imported once.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const FILE = 'objects.jsonl';

/** Feeds each saved object to `restore` (CRDs first, as saved); returns the saved resourceVersion. */
export async function loadLegacySnapshot(dir: string, restore: (storeKey: string, obj: Record<string, any>) => void): Promise<number | null> {
  const path = join(dir, FILE);
  if (!existsSync(path)) return null;
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
