/**
 * events.k8s.io/v1 Events are stored as core v1 Events (one storage, as in kube-apiserver), and
 * converted field by field on the way in and out: regarding <-> involvedObject, note <-> message,
 * reportingController <-> reportingComponent, deprecated* <-> the core timestamps and count.
 */
type Obj = Record<string, any>;

const PAIRS: Array<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(o: Obj, from: number, apiVersion: string): Obj {
  const out: Obj = { ...o, apiVersion };
  for (const pair of PAIRS) {
    const src = pair[from];
    const dst = pair[1 - from];
    delete out[src];
    if (o[src] !== undefined) out[dst] = o[src];
  }
  return out;
}

/** events.k8s.io/v1 form -> stored core v1 form. */
export function eventToCore(o: Obj): Obj {
  return rename(o, 0, 'v1');
}

/** Stored core v1 form -> events.k8s.io/v1 form. */
export function eventFromCore(o: Obj): Obj {
  return rename(o, 1, 'events.k8s.io/v1');
}

/** Field selectors of events.k8s.io name the new fields; the store indexes the core ones. */
export function eventFieldToCore(field: string): string {
  if (field.startsWith('regarding.')) return 'involvedObject.' + field.slice('regarding.'.length);
  if (field === 'reportingController') return 'reportingComponent';
  return field;
}
