/**
 * The V8 flags `up` gives each of its Node children, by subcommand (`apiserver`, `agent`, ...).
 *
 * - `--max-semi-space-size=16`: V8 sizes a process's young generation from the machine's memory,
 *   128 MiB of semi-spaces in each child on a 24 GiB machine, most of it garbage. 16 MiB cut the
 *   fleet's peak RSS on 10,000 nodes by 0.4 GiB at 80 VMIs/s, for about 4 % more CPU. A user's own
 *   NODE_OPTIONS choice of semi-space wins.
 * - `--heap-growing-percent=50` for every child but the API server: V8 lets the old generation
 *   grow to up to 4 times what survived the last full GC. The agents kept about 570 MiB for 77 MiB
 *   of live objects; with the growth capped at 1.5 times, the fleet's RSS after 12,000 VMIs at
 *   60/s fell from 3.91 to 3.09 GiB and creation->Running P99 held. The API server is left out:
 *   it is the fleet's busiest process, and the cap made it slower (P99 over 2 s) without making
 *   it smaller.
 * - `--no-allocation-site-pretenuring`, again for every child but the API server: V8 had marked
 *   the allocation sites of each request's short-lived objects (an agent's Lease renewals) as
 *   long-lived, so they went straight to the old generation and each agent ran a full GC about
 *   every 11 s at idle. With the flag, an idle agent of 10,000 nodes used a fifth to a quarter
 *   less CPU.
 * - Then VIRTSIM_NODE_FLAGS, as given: later flags win, so a user can undo any of the above or
 *   profile every child (`--cpu-prof --cpu-prof-dir=DIR`). V8 refuses most of these in NODE_OPTIONS.
 *
 * The README has the figures (bench/scale, bench/idle).
 */
export function childNodeFlags(subcommand: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const flags: string[] = [];
  if (!/semi[-_]space/.test(env.NODE_OPTIONS ?? '')) flags.push('--max-semi-space-size=16');
  if (subcommand !== 'apiserver') flags.push('--heap-growing-percent=50', '--no-allocation-site-pretenuring');
  const own = (env.VIRTSIM_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return [...flags, ...own];
}
