import { ROOT_CONTEXT, type Context, type Tracer } from '@opentelemetry/api';
import { LIFECYCLE_ROOT_ATTR, lifecycleContext, lifecycleSampled, lifecycleSpanId, lifecycleTraceId, startSpanWithId } from '@virtsim/telemetry';
import type { KubeObject, WatchEventType } from '@virtsim/kube';

// The life of each VMI and migration as one trace, built from what the watcher sees of the API:
// a root span from creation until the object first reaches `Running` (a migration: Succeeded or
// Failed), and one span per phase, each ending where the next begins (the same timestamp, so the
// phases tile the root). Span ids come from the UID (lifecycle-ids.ts), so the fleet's spans can
// name the phase span they serve as parent before that span exists (it is exported when the
// phase ends). Later phases (Running until deletion, Succeeded) are children of the same root.

/** Phases that end a kind's root span (the startup the trace is about). */
const ROOT_END: Record<string, Set<string>> = {
  VirtualMachineInstance: new Set(['Running', 'Succeeded', 'Failed']),
  VirtualMachineInstanceMigration: new Set(['Succeeded', 'Failed']),
};

/**
 * Who moves a VMI into a phase in KubeVirt, when managedFields do not say: virt-handler (in
 * virtsim, the fleet's agents) reports Running and the end of a running VMI; virt-controller the rest.
 */
function phaseOwner(kind: string, from: string, to: string): string {
  if (kind !== 'VirtualMachineInstance') return 'virt-controller';
  if (to === 'Running' || (from === 'Running' && (to === 'Succeeded' || to === 'Failed'))) return 'virt-handler';
  return 'virt-controller';
}

/** The manager of the newest managedFields entry, if the object has any. */
export function lastWriter(obj: KubeObject): string | undefined {
  const entries = obj.metadata.managedFields as Array<{ manager?: string; time?: string }> | undefined;
  if (!Array.isArray(entries) || entries.length === 0) return undefined;
  let best: { manager?: string; time?: string } | undefined;
  for (const e of entries) if (!best || (e.time ?? '') >= (best.time ?? '')) best = e;
  // 'unknown': the API server did not know the writer either.
  return best?.manager === 'unknown' ? undefined : best?.manager;
}

interface Tracked {
  kind: string;
  key: string;
  sampled: boolean;
  phase: string;
  since: number;
  rootStart: number;
  rootOpen: boolean;
}

const phaseName = (obj: KubeObject) => (obj.status?.phase as string | undefined) || 'Unset';

export class LifecycleTracer {
  private readonly objects = new Map<string, Tracked>();
  /** Spans are emitted only while this watcher leads (a standby tracks, so it can take over). */
  emit = false;

  private readonly tracer: Tracer;
  private readonly ratio: number;

  constructor(tracer: Tracer, ratio: number) {
    this.tracer = tracer;
    this.ratio = ratio;
  }

  get size(): number {
    return this.objects.size;
  }

  /**
   * Follows an event of a VMI or migration (`writer`: managedFields' newest manager, read before
   * they were stripped); returns the context the fleet's spans for this event nest under: the
   * span of the phase the object is in.
   */
  observe(kind: string, type: WatchEventType, obj: KubeObject, now: number, writer?: string): Context {
    const uid = obj.metadata.uid;
    if (!uid) return ROOT_CONTEXT;
    let t = this.objects.get(uid);
    const phase = phaseName(obj);
    if (!t) {
      // First sight: a new object starts now; one found by a (re)list started at its creation.
      const created = Date.parse(obj.metadata.creationTimestamp ?? '') || now;
      const fresh = phase === 'Unset';
      t = {
        kind,
        key: `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`,
        sampled: lifecycleSampled(uid, this.ratio),
        phase,
        since: fresh ? now : (transitionTime(obj, phase) ?? now),
        rootStart: fresh ? now : Math.min(created, now),
        rootOpen: !ROOT_END[kind]?.has(phase),
      };
      this.objects.set(uid, t);
    }
    if (type === 'DELETED') {
      this.endPhase(uid, t, now, 'deleted', 'deleted');
      this.endRoot(uid, t, now, 'deleted');
      this.objects.delete(uid);
      return lifecycleContext(uid, t.phase, t.sampled);
    }
    if (phase !== t.phase) {
      const by = writer ?? phaseOwner(kind, t.phase, phase);
      this.endPhase(uid, t, now, phase, by, writer ? 'managedFields' : 'kubevirt-phase-owner');
      t.phase = phase;
      t.since = now;
      if (ROOT_END[kind]?.has(phase)) this.endRoot(uid, t, now, phase);
    }
    return lifecycleContext(uid, t.phase, t.sampled);
  }

  /** The context of the phase a tracked object (by UID) is in: a launcher pod's VMI. */
  contextOf(uid: string | undefined): Context | undefined {
    const t = uid === undefined ? undefined : this.objects.get(uid);
    return t && lifecycleContext(uid!, t.phase, t.sampled);
  }

  private endPhase(uid: string, t: Tracked, now: number, next: string, endedBy: string, source = 'deletion'): void {
    if (!t.sampled || !this.emit) return;
    const span = startSpanWithId(
      this.tracer,
      { spanId: lifecycleSpanId(uid, t.phase) },
      `phase ${t.phase}`,
      {
        startTime: t.since,
        attributes: {
          'k8s.kind': t.kind,
          'k8s.object': t.key,
          'virtsim.phase': t.phase,
          'virtsim.phase.next': next,
          'virtsim.phase.ended_by': endedBy,
          'virtsim.phase.ended_by.source': source,
        },
      },
      lifecycleContext(uid, '', true),
    );
    span.end(now);
  }

  private endRoot(uid: string, t: Tracked, now: number, outcome: string): void {
    if (!t.rootOpen) return;
    t.rootOpen = false;
    if (!t.sampled || !this.emit) return;
    const span = startSpanWithId(
      this.tracer,
      { traceId: lifecycleTraceId(uid), spanId: lifecycleSpanId(uid, '') },
      `${t.kind} ${t.key}`,
      { startTime: t.rootStart, attributes: { [LIFECYCLE_ROOT_ATTR]: t.kind, 'k8s.kind': t.kind, 'k8s.object': t.key, 'k8s.uid': uid, 'virtsim.outcome': outcome } },
      ROOT_CONTEXT,
    );
    span.end(now);
  }
}

/** When the object entered `phase`, from status.phaseTransitionTimestamps (VMIs). */
function transitionTime(obj: KubeObject, phase: string): number | undefined {
  const list = obj.status?.phaseTransitionTimestamps as Array<{ phase: string; phaseTransitionTimestamp: string }> | undefined;
  const e = Array.isArray(list) ? list.findLast((x) => x.phase === phase) : undefined;
  const t = e ? Date.parse(e.phaseTransitionTimestamp) : NaN;
  return Number.isNaN(t) ? undefined : t;
}
