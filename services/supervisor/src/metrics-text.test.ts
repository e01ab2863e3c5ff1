import { describe, expect, it } from 'vitest';
import { samplesByLabel, sumSamples } from './metrics-text.ts';

const TEXT = [
  '# HELP virtsim_watcher_vmis VMIs in the watch cache, by phase',
  '# TYPE virtsim_watcher_vmis gauge',
  'virtsim_watcher_vmis{phase="Running",service="watcher"} 12',
  'virtsim_watcher_vmis{service="watcher",phase="Unset"} 3',
  'virtsim_watcher_vmis_other{phase="Running"} 99',
  'virtsim_agent_transitions_total{stage="vmi-running",kind="VirtualMachineInstance",service="node-agent"} 40',
  'virtsim_agent_transitions_total{stage="node-initialize",kind="Node",service="node-agent"} 2',
].join('\n');

describe('metrics text', () => {
  it('reads a metric by one label, wherever the label stands, and no other metric', () => {
    expect(samplesByLabel(TEXT, 'virtsim_watcher_vmis', 'phase')).toEqual(new Map([['Running', 12], ['Unset', 3]]));
  });

  it('sums every sample of a metric', () => {
    expect(sumSamples(TEXT, 'virtsim_agent_transitions_total')).toBe(42);
    expect(sumSamples(TEXT, 'virtsim_missing')).toBe(0);
  });
});
