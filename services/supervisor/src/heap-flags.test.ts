import { describe, expect, it } from 'vitest';
import { heapFlags } from './heap-flags.ts';

describe('heapFlags', () => {
  it('gives the API server a larger young generation than the other children', () => {
    expect(heapFlags('apiserver')).toEqual(['--max-semi-space-size=16']);
    for (const child of ['watcher', 'control-plane', 'coordinator']) expect(heapFlags(child)).toEqual(['--max-semi-space-size=8']);
  });

  it('exposes gc to agents, which compact their heap after a slot move', () => {
    expect(heapFlags('agent')).toEqual(['--max-semi-space-size=8', '--expose-gc']);
  });
});
