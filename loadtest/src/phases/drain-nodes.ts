import { pick } from '../run-context.ts';

/** How many nodes a drain takes: a count, or a percent of the nodes hosting the run's VMIs. */
export type DrainSize = { nodes: number } | { percent: number };

export interface DrainCandidate {
  name: string;
  /** Live VMIs of this run on it. */
  vmis: number;
  /** Made by virtsim (its agents' pool label): safe to cordon and evict in a load test. */
  virtsim: boolean;
}

export interface DrainChoice {
  chosen: string[];
  /** Nodes hosting the run's VMIs that were left alone because virtsim did not make them. */
  refusedRealNodes: string[];
}

/**
 * The nodes to drain: among those hosting this run's VMIs (virtsim's own only, unless
 * `allowRealNodes`), `size` of them, picked with the run's seeded random from a sorted list so a
 * seed picks the same nodes again.
 */
export function chooseDrainNodes(candidates: readonly DrainCandidate[], size: DrainSize, allowRealNodes: boolean, random: () => number): DrainChoice {
  const hosting = candidates.filter((c) => c.vmis > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const refusedRealNodes = allowRealNodes ? [] : hosting.filter((c) => !c.virtsim).map((c) => c.name);
  const eligible = hosting.filter((c) => allowRealNodes || c.virtsim).map((c) => c.name);
  const n = 'nodes' in size ? size.nodes : Math.max(1, Math.ceil((eligible.length * size.percent) / 100));
  return { chosen: pick(eligible, n, random), refusedRealNodes };
}
