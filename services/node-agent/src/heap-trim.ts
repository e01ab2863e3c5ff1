type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Collects and compacts the heap now, when the process was started with --expose-gc (as `virtsim
 * up` starts agents); a no-op otherwise. Taking or handing over slots is a burst: 10,000 node
 * registrations, their Leases and first stages, or dropping half of them. V8 grows the old
 * generation for the burst and, with heartbeats allocating steadily afterwards, never runs the
 * memory-reducing GC that would give it back: an agent that had registered all 10,000 nodes
 * kept ~680 MiB RSS for ~130 MiB of live objects. One compacting GC after the slot move returns it.
 */
export function trimHeap(): boolean {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
