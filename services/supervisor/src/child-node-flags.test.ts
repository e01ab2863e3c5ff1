import { describe, expect, it } from 'vitest';
import { childNodeFlags } from './child-node-flags.ts';

describe('the Node flags of up\'s children', () => {
  it('caps the young generation at 16 MiB semi-spaces', () => {
    expect(childNodeFlags('')).toEqual(['--max-semi-space-size=16']);
    expect(childNodeFlags('--enable-source-maps')).toEqual(['--max-semi-space-size=16']);
  });

  it('leaves the semi-space to a user who chose one in NODE_OPTIONS', () => {
    expect(childNodeFlags('--max-semi-space-size=64')).toEqual([]);
    expect(childNodeFlags('--enable-source-maps --max_semi_space_size=32')).toEqual([]);
  });
});
