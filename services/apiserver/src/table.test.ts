import { describe, expect, it } from 'vitest';
import { compileJsonPath, humanDuration } from './table.ts';

describe('printer columns', () => {
  it('formats ages as kubectl shows them', () => {
    expect(humanDuration(59_000)).toBe('59s');
    expect(humanDuration(125_000)).toBe('2m5s');
    expect(humanDuration(11 * 60_000)).toBe('11m');
    expect(humanDuration((3 * 60 + 20) * 60_000)).toBe('3h20m');
    expect(humanDuration(50 * 3600_000)).toBe('2d2h');
    expect(humanDuration(-5000)).toBe('<invalid>');
  });

  it('evaluates the JSONPath forms CRD printer columns use', () => {
    const o = { metadata: { labels: { 'kubevirt.io/nodeName': 'n1' } }, status: { interfaces: [{ ipAddress: '10.0.0.1' }], conditions: [{ type: 'Paused', status: 'False' }, { type: 'Ready', status: 'True' }] } };
    expect(compileJsonPath('.status.interfaces[0].ipAddress')(o)).toBe('10.0.0.1');
    expect(compileJsonPath('.metadata.labels.kubevirt\\.io/nodeName')(o)).toBe('n1');
    expect(compileJsonPath(".status.conditions[?(@.type=='Ready')].status")(o)).toBe('True');
    expect(compileJsonPath('.status.missing.deep')(o)).toBeUndefined();
  });
});
