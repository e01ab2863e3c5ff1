import { createHash } from 'node:crypto';
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type SpanContext } from '@opentelemetry/api';

// One trace per VMI (or migration), whose ids every process derives from the object's UID alone:
// the watcher, the agents and the viewer attach to the same trace and to the same phase span
// without telling each other anything. The sampling decision is derived the same way, so a VMI
// is traced whole or not at all, whichever process looks at it.

const digest = (s: string) => createHash('sha256').update(s).digest();

// The watcher derives the ids of an object at each of its events, a dozen per VMI: a hash each
// time was 6 % of its CPU. Remembered for the most recent objects; bounded, so memory does not grow.
const REMEMBERED = 8192;
const traceIds = new Map<string, string>();
const spanIds = new Map<string, string>();

function remembered(cache: Map<string, string>, key: string, compute: () => string): string {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= REMEMBERED) cache.clear();
    v = compute();
    cache.set(key, v);
  }
  return v;
}

/** The trace id of an object's life: 32 hex digits from its UID. */
export function lifecycleTraceId(uid: string): string {
  return remembered(traceIds, uid, () => digest(`virtsim/trace/${uid}`).subarray(0, 16).toString('hex'));
}

/** The span id of the object's root span (phase '') or of one of its phases. */
export function lifecycleSpanId(uid: string, phase = ''): string {
  const key = `${uid}/${phase}`;
  return remembered(spanIds, key, () => digest(`virtsim/span/${key}`).subarray(0, 8).toString('hex'));
}

/** Whether the object is traced at `ratio` (0..1): the UID's hash against the ratio. */
export function lifecycleSampled(uid: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return digest(`virtsim/sample/${uid}`).readUInt32BE(0) / 0x1_0000_0000 < ratio;
}

/** The context whose active span is the object's phase span (root span for phase ''), as a remote parent. */
export function lifecycleContext(uid: string, phase: string, sampled: boolean, base: Context = ROOT_CONTEXT): Context {
  const sc: SpanContext = {
    traceId: lifecycleTraceId(uid),
    spanId: lifecycleSpanId(uid, phase),
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
  return trace.setSpanContext(base, sc);
}
