/**
 * V8 flags `up` starts each virtsim child with. Node 24 sizes the young generation from the
 * machine's memory: on a 24 GiB host each process reserved a 128 MiB new space, and bursty
 * allocation (a LIST of 10,000 nodes, 500 Lease renewals a second) touches all of it, so each
 * process kept 100+ MiB of RSS for garbage. Capping the semi-space keeps that small; a smaller
 * young generation means more scavenges, which costs the API server (every request allocates)
 * the most CPU, so it keeps a larger one.
 *
 * Measured with bench/idle (10,000 nodes, 2 agents; RSS MiB, all processes): no flags 2639,
 * --max-semi-space-size=8 everywhere 2229 (API server 515 -> 375, watcher 373 -> 245,
 * control-plane 311 -> 216), at +35 % idle CPU on a loaded machine (0.265 -> 0.398 core).
 */
const SEMI_SPACE_MIB: Record<string, number> = { apiserver: 16 };
const DEFAULT_SEMI_SPACE_MIB = 8;

/** The V8 flags for the child running `virtsim <subcommand>`. */
export function heapFlags(subcommand: string | undefined): string[] {
  const semi = `--max-semi-space-size=${SEMI_SPACE_MIB[subcommand ?? ''] ?? DEFAULT_SEMI_SPACE_MIB}`;
  // An agent compacts its heap after each slot move (node-agent's trimHeap needs gc exposed).
  return subcommand === 'agent' ? [semi, '--expose-gc'] : [semi];
}
