// The chaos run's RSS expectation (rss.ts): a slope from the fault-free window, clamped, and an end
// RSS judged against before-faults + slope x new VMIs.
import { describe, expect, it } from 'vitest';
import { checkRss, formatRss, rssSlope, type RssSample } from './rss.ts';

const MiB = 2 ** 20;
const sample = (vmis: number, procs: Record<string, [pid: number, mib: number]>): RssSample => ({
  vmis,
  byRole: new Map(Object.entries(procs).map(([role, [pid, mib]]) => [role, { pid, bytes: mib * MiB }])),
});

describe('chaos RSS check', () => {
  it('takes the slope of the fault-free window, 0 when it fell, and none from a tiny window', () => {
    expect(rssSlope({ bytes: 100 * MiB, vmis: 0 }, { bytes: 200 * MiB, vmis: 1000 })).toBeCloseTo(0.1 * MiB);
    expect(rssSlope({ bytes: 200 * MiB, vmis: 0 }, { bytes: 150 * MiB, vmis: 1000 })).toBe(0);
    expect(rssSlope({ bytes: 100 * MiB, vmis: 0 }, { bytes: 200 * MiB, vmis: 10 })).toBeUndefined();
    // Never steeper than bytes per VMI: the rest is start-up cost.
    expect(rssSlope({ bytes: 10 * MiB, vmis: 100 }, { bytes: 200 * MiB, vmis: 200 })).toBe(MiB);
  });

  it('expects growth with the VMIs and flags only what goes past it by 20%', () => {
    const start = sample(0, { apiserver: [1, 100], watcher: [2, 100], agent: [3, 100] });
    const before = sample(1000, { apiserver: [1, 200], watcher: [2, 100], agent: [3, 100] });
    // apiserver: 200 + 0.1 MiB x 2000 = 400 expected; the watcher, restarted, is held to its own 100.
    const end = sample(3000, { apiserver: [1, 450], watcher: [9, 130], agent: [3, 60] });
    const r = checkRss(start, before, end);
    expect(r.rows.map((x) => [x.process, Math.round(x.expectedBytes! / MiB), x.over, x.restarted])).toEqual([
      ['apiserver', 400, false, false],
      ['watcher', 100, true, true],
      ['agent', 100, false, false],
    ]);
    expect(r.over).toEqual(['watcher (restarted): 130 MiB at the end, expected 100 MiB (+30%)']);
    expect(formatRss(r)).toContain('apiserver start 100, before faults 200, 102 KiB/VMI, expected 400, end 450');
  });
});
