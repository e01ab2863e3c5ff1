/** Reading a stage or kustomization file, refusing one too large to be a stage file. */
import { open } from 'node:fs/promises';

/**
 * The largest stage file read (1 MiB). KWOK's and virtsim's stage files are a few KiB each; a file
 * this big is a mistake (a log or a dump passed as --stages), refused before it is read into memory.
 */
export const MAX_STAGE_FILE_BYTES = 1024 * 1024;

/** A file's text, or why it cannot be used (unreadable, or over `limit` bytes). */
export async function readStageFile(file: string, limit = MAX_STAGE_FILE_BYTES): Promise<{ text: string } | { reason: string }> {
  let fh;
  try {
    fh = await open(file, 'r');
    // Size and content from the same open file, so it cannot be swapped in between.
    const { size } = await fh.stat();
    if (size > limit) return { reason: `is ${size} bytes, over the limit of ${limit} bytes for a stage file` };
    return { text: await fh.readFile('utf8') };
  } catch (e) {
    return { reason: `cannot read: ${(e as Error).message}` };
  } finally {
    await fh?.close();
  }
}
