/** Label and field selectors of list and watch requests, over what the store indexes. */
import { LabelSelector, matchesFields, parseFieldSelector, unsupportedFieldLabelMessage } from '@virtsim/apimachinery';
import { KIND_BEHAVIOUR } from './builtins.ts';
import type { ResourceType } from './resources.ts';
import { badRequest } from './status.ts';
import type { Entry, Labels } from './store.ts';
import type { WatchFilter } from './watch.ts';

export interface Selection {
  filter: WatchFilter;
  /** True when nothing filters (a list can then be counted without looking at entries). */
  everything: boolean;
  matches(e: Pick<Entry, 'ns' | 'name' | 'labels' | 'fields'>): boolean;
}

export function parseSelection(rt: ResourceType, ns: string | undefined, q: URLSearchParams): Selection {
  const filter: WatchFilter = {};
  if (ns) filter.ns = ns;
  const ls = q.get('labelSelector');
  if (ls) {
    let sel: LabelSelector;
    try {
      sel = LabelSelector.parse(ls);
    } catch (e) {
      throw badRequest(`unable to parse requirement: ${(e as Error).message}`);
    }
    filter.labels = (l: Labels) => sel.matches(l);
  }
  const fs = q.get('fieldSelector');
  if (fs) {
    let reqs;
    try {
      reqs = parseFieldSelector(fs);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    const known = KIND_BEHAVIOUR[rt.storeKey]?.fields ?? {};
    if (rt.convert) reqs = reqs.map((r) => ({ ...r, field: rt.convert!.field(r.field) }));
    for (const r of reqs) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !(r.field in known))
        throw badRequest(unsupportedFieldLabelMessage(r.field));
    }
    // metadata.name=x narrows a watch to one object cheaply (kubectl get -w NAME uses it).
    const nameEq = reqs.find((r) => r.field === 'metadata.name' && r.operator === '=');
    if (nameEq && reqs.length === 1) filter.name = nameEq.value;
    else
      filter.fields = (eNs, eName, f) =>
        matchesFields(reqs, (field) => (field === 'metadata.name' ? eName : field === 'metadata.namespace' ? eNs : f?.[field]));
  }
  const everything = !filter.labels && !filter.fields && !filter.name;
  return {
    filter,
    everything,
    matches: (e: Pick<Entry, 'ns' | 'name' | 'labels' | 'fields'>) =>
      (!filter.name || e.name === filter.name) &&
      (!filter.labels || filter.labels(e.labels ?? {})) &&
      (!filter.fields || filter.fields(e.ns, e.name, e.fields)),
  };
}
