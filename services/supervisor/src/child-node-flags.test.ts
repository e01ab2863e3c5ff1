import { describe, expect, it } from 'vitest';
import { childNodeFlags } from './child-node-flags.ts';

describe('the Node flags of up\'s children', () => {
  it('caps the young generation at 16 MiB semi-spaces', () => {
    expect(childNodeFlags('apiserver', {})).toEqual(['--max-semi-space-size=16']);
    expect(childNodeFlags('apiserver', { NODE_OPTIONS: '--enable-source-maps' })).toEqual(['--max-semi-space-size=16']);
  });

  it('leaves the semi-space to a user who chose one in NODE_OPTIONS', () => {
    expect(childNodeFlags('apiserver', { NODE_OPTIONS: '--max-semi-space-size=64' })).toEqual([]);
    expect(childNodeFlags('apiserver', { NODE_OPTIONS: '--enable-source-maps --max_semi_space_size=32' })).toEqual([]);
  });

  it('caps old-generation growth and turns pretenuring off in every child but the API server', () => {
    for (const sub of ['agent', 'watcher', 'coordinator', 'control-plane']) {
      expect(childNodeFlags(sub, {})).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=50', '--no-allocation-site-pretenuring']);
    }
    expect(childNodeFlags('apiserver', {})).not.toContain('--heap-growing-percent=50');
    expect(childNodeFlags('apiserver', {})).not.toContain('--no-allocation-site-pretenuring');
  });

  it('appends VIRTSIM_NODE_FLAGS last, so the user\'s own flags win', () => {
    const flags = childNodeFlags('agent', { VIRTSIM_NODE_FLAGS: ' --heap-growing-percent=0   --cpu-prof --cpu-prof-dir=/tmp/p ' });
    expect(flags).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=50', '--no-allocation-site-pretenuring', '--heap-growing-percent=0', '--cpu-prof', '--cpu-prof-dir=/tmp/p']);
  });
});
