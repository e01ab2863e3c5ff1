import type { Logger } from 'pino';
import { SpanStatusCode, context, trace, type Context } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { StatusError, keepMigrationSourcePod, rvNewer, WriteAbortedError, type KubeObject, type Writer } from '@virtsim/kube';
import type { CompiledStage, PlanContext, StageSet } from '@virtsim/stages';
import { TimerQueue } from './timer-queue.ts';
import { toWriteRequest } from './request-executor.ts';

interface Entry {
  kind: string;
  slot: number;
  /** The newest version; undefined while the object rests, with no stage pending (see plan). */
  obj: KubeObject | undefined;
  /** The newest version as JSON while the object rests: about two thirds of the parsed object's memory. */
  text: string | undefined;
  /** The newest version's resourceVersion. */
  rv: string | undefined;
  /** Local time of the last event or snapshot that touched it (resync uses it to infer deletions). */
  seenAt: number;
  job?: { stage: CompiledStage; obj: KubeObject; delayMs: number; plannedAt: number; trace?: Context };
  running?: Promise<void>;
  /** The trace of the change that brought the current version (its stage span joins it). */
  trace?: Context;
}

export interface StageRunnerOptions {
  stages: () => StageSet;
  writer: Writer;
  log: Logger;
  registry?: Registry;
  planContext: () => PlanContext;
  /** Event source component name. */
  component: string;
}

const tracer = trace.getTracer('virtsim-node-agent');

/**
 * Plays every object of the owned slots through the stages, KWOK's way: one pending job per
 * object, chosen and delayed when a version arrives, replaced by any newer version; when due, its
 * requests are rendered against the version it was chosen for and written. Unlike KWOK, a version
 * that arrives while the object's job is being written waits for the write to end, so an object is
 * never in two transitions at once (no transition applied twice).
 */
export class StageRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly timers: TimerQueue;
  private readonly opts: StageRunnerOptions;
  private readonly transitions?: Counter<'stage' | 'kind'>;
  private readonly failures?: Counter<'kind' | 'reason'>;
  private readonly skipped?: Counter<'kind'>;
  private readonly stageDelay?: Histogram<'kind'>;

  constructor(opts: StageRunnerOptions) {
    this.opts = opts;
    this.timers = new TimerQueue((key) => this.due(key));
    const registers = opts.registry ? [opts.registry] : [];
    if (opts.registry) {
      this.transitions = new Counter({ name: 'virtsim_agent_transitions_total', help: 'Stage transitions applied', labelNames: ['stage', 'kind'], registers });
      this.failures = new Counter({
        name: 'virtsim_agent_transition_failures_total',
        help: 'Transitions not applied (render errors, refused writes), by reason',
        labelNames: ['kind', 'reason'],
        registers,
      });
      this.skipped = new Counter({ name: 'virtsim_agent_noop_writes_skipped_total', help: 'Planned patches not sent because they change nothing', labelNames: ['kind'], registers });
      this.stageDelay = new Histogram({
        name: 'virtsim_agent_stage_delay_seconds',
        help: 'Delay chosen for a stage job',
        labelNames: ['kind'],
        buckets: [0, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 600],
        registers,
      });
      const timers = this.timers;
      const entries = this.entries;
      new Gauge({ name: 'virtsim_agent_pending_timers', help: 'Stage jobs waiting for their delay', registers, collect() { this.set(timers.size); } });
      new Gauge({ name: 'virtsim_agent_objects_cached', help: 'Objects of the owned slots', registers, collect() { this.set(entries.size); } });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get pending(): number {
    return this.timers.size;
  }

  get(kind: string, key: string): KubeObject | undefined {
    const e = this.entries.get(`${kind}/${key}`);
    return e && current(e);
  }

  /**
   * A version of an object arrived (event or snapshot). Older or equal versions than the one held
   * are ignored (merge by resourceVersion).
   */
  observe(kind: string, obj: KubeObject, slot: number, traceContext?: Context): void {
    const key = entryKey(kind, obj);
    const e = this.entries.get(key);
    if (e) {
      e.seenAt = Date.now();
      e.slot = slot;
      if (!rvNewer(obj.metadata.resourceVersion, e.rv)) return;
      setVersion(e, obj);
      e.trace = traceContext;
      // A job is being written: the newer version is planned when it ends.
      if (e.running) return;
      this.plan(key, e);
      return;
    }
    const fresh: Entry = { kind, slot, obj, text: undefined, rv: obj.metadata.resourceVersion, seenAt: Date.now(), trace: traceContext };
    this.entries.set(key, fresh);
    this.plan(key, fresh);
  }

  forget(kind: string, obj: KubeObject): void {
    const key = entryKey(kind, obj);
    this.timers.cancel(key);
    this.entries.delete(key);
  }

  /** Evaluates every object again (the stage set changed); running jobs re-plan when they end. */
  replanAll(): void {
    for (const [key, e] of this.entries) if (!e.running) this.plan(key, e);
  }

  /** Keys of objects in `slots` last seen before `before` (candidates for deletion after a resync). */
  staleIn(slots: Set<number>, before: number, present: Set<string>): Array<{ kind: string; obj: KubeObject }> {
    const out: Array<{ kind: string; obj: KubeObject }> = [];
    for (const [key, e] of this.entries) {
      if (slots.has(e.slot) && e.seenAt < before && !present.has(key)) out.push({ kind: e.kind, obj: current(e) });
    }
    return out;
  }

  /** Stops acting on the objects of `slots`: pending jobs cancelled, running writes awaited. */
  async dropSlots(slots: Set<number>): Promise<void> {
    const running: Promise<void>[] = [];
    for (const [key, e] of this.entries) {
      if (!slots.has(e.slot)) continue;
      this.timers.cancel(key);
      this.entries.delete(key);
      if (e.running) running.push(e.running);
    }
    await Promise.all(running);
  }

  async stop(): Promise<void> {
    this.timers.clear();
    const running = [...this.entries.values()].map((e) => e.running).filter(Boolean);
    this.entries.clear();
    await Promise.all(running);
  }

  private plan(key: string, e: Entry): void {
    const obj = current(e);
    let sel;
    try {
      sel = this.opts.stages().select(obj, this.opts.planContext());
    } catch (err) {
      this.failures?.inc({ kind: e.kind, reason: 'select' });
      this.opts.log.warn({ kind: e.kind, key, err }, 'stage selection failed, object left as it is');
      sel = null;
    }
    if (!sel) {
      e.job = undefined;
      this.timers.cancel(key);
      // Most objects rest most of the time (a Running VMI and its pod): kept as text until a new version comes.
      if (!e.running) rest(e, obj);
      return;
    }
    setVersion(e, obj);
    e.job = { stage: sel.stage, obj, delayMs: sel.delayMs, plannedAt: Date.now(), trace: e.trace };
    this.stageDelay?.observe({ kind: e.kind }, sel.delayMs / 1000);
    this.timers.schedule(key, Date.now() + sel.delayMs);
  }

  private due(key: string): void {
    const e = this.entries.get(key);
    if (!e?.job) return;
    const job = e.job;
    e.job = undefined;
    e.running = this.execute(key, e, job).then(() => {
      e.running = undefined;
      // Plan again only from a newer version (our write's answer, or an event that came in
      // meanwhile), as KWOK does on the watch event. Nothing changed (no-op, failed render,
      // refused write): the object rests until it changes, so no stage can spin.
      if (this.entries.get(key) !== e) return;
      if (e.obj !== job.obj) this.plan(key, e);
      else rest(e, job.obj);
    });
  }

  /** Carries a job out; false when it failed (counted and logged). */
  private async execute(key: string, e: Entry, job: NonNullable<Entry['job']>): Promise<boolean> {
    const { stage, obj } = job;
    // The stage spans from its planning, so its delay (a child span) shows as time the fleet held the object.
    const span = tracer.startSpan(
      'stage',
      { startTime: job.plannedAt, attributes: { 'virtsim.stage': stage.name, 'virtsim.delay_ms': job.delayMs, 'k8s.kind': e.kind, 'k8s.object': key } },
      job.trace ?? context.active(),
    );
    const ctx = trace.setSpan(job.trace ?? context.active(), span);
    if (span.isRecording()) tracer.startSpan('delay', { startTime: job.plannedAt, attributes: { 'virtsim.delay_ms': job.delayMs } }, ctx).end();
    try {
      let requests;
      try {
        requests = this.opts.stages().renderSteps(stage, obj, this.opts.planContext());
      } catch (err) {
        this.failures?.inc({ kind: e.kind, reason: 'render' });
        this.opts.log.warn({ kind: e.kind, key, stage: stage.name, err }, 'stage failed to render, object left as it is');
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        return false;
      }
      let wrote = false;
      let rv = obj.metadata.resourceVersion;
      for (const req of requests) {
        const write = toWriteRequest(obj, req, this.opts.component, rv);
        if (!write) {
          this.skipped?.inc({ kind: e.kind });
          continue;
        }
        let res;
        try {
          res = await context.with(ctx, () => this.opts.writer.write(write));
        } catch (err) {
          if (err instanceof WriteAbortedError) return true;
          const code = err instanceof StatusError ? err.code : 0;
          // The event of this very plan is there already (an earlier play of it): go on to its patch.
          if (code === 409 && req.kind === 'event') continue;
          const terminating = req.kind === 'event' && namespaceTerminating(err);
          this.failures?.inc({ kind: e.kind, reason: code === 409 ? 'conflict' : terminating ? 'namespace_terminating' : `http_${code}` });
          // A conflict means a newer version exists: its event re-plans the object.
          if (code === 409) return true;
          // An Event in a namespace being deleted is refused on every cluster; client-go's recorder
          // drops it quietly (V(5)), so the cleanup of thousands of VMIs is no wall of warnings.
          if (terminating) {
            this.opts.log.debug({ kind: e.kind, key, stage: stage.name }, 'event refused: its namespace is being terminated');
            continue;
          }
          this.opts.log.warn({ kind: e.kind, key, stage: stage.name, request: req.kind, code, err }, 'stage write refused');
          // An event is a side note (KWOK records it and goes on); a refused change ends the stage.
          if (req.kind === 'event') continue;
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
          return false;
        }
        if (res.outcome === 'gone') return true;
        wrote = true;
        const body = res.body as KubeObject | undefined;
        if (req.kind === 'patch' && body?.metadata?.resourceVersion) rv = body.metadata.resourceVersion;
        if (req.kind === 'patch' && body?.metadata && rvNewer(body.metadata.resourceVersion, e.rv)) {
          setVersion(e, keepMigrationSourcePod(current(e), { ...body, apiVersion: body.apiVersion ?? obj.apiVersion, kind: body.kind ?? obj.kind }));
        }
      }
      if (wrote) this.transitions?.inc({ stage: stage.name, kind: e.kind });
      return true;
    } finally {
      span.end();
    }
  }
}

/** The API server's answer to a create in a namespace being deleted (cause NamespaceTerminating, as kube-apiserver gives it). */
function namespaceTerminating(err: unknown): boolean {
  return err instanceof StatusError && err.code === 403 && (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

/** The entry's newest version, parsed again if it rests as text. */
function current(e: Entry): KubeObject {
  return e.obj ?? (JSON.parse(e.text!) as KubeObject);
}

function setVersion(e: Entry, obj: KubeObject): void {
  e.obj = obj;
  e.text = undefined;
  e.rv = obj.metadata.resourceVersion;
}

/** Keeps a resting entry's version as JSON text only (a run's VMI: 4.3 KB of heap parsed, 2.9 KB as text; its pod 6.3 and 4.2 KB). */
function rest(e: Entry, obj: KubeObject): void {
  e.text ??= JSON.stringify(obj);
  e.obj = undefined;
}

/** How the runner names an object: kind/namespace/name (kind/name when cluster-scoped). */
export function entryKey(kind: string, obj: Pick<KubeObject, 'metadata'>): string {
  const m = obj.metadata;
  return m.namespace ? `${kind}/${m.namespace}/${m.name}` : `${kind}/${m.name}`;
}
