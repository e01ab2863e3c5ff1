import { StatusError, PODS, objectKey, objectPath, type KubeObject, type WatchEventType, type Writer } from '@virtsim/kube';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ObjectCache } from '../object-cache.ts';
import { kubeNow } from '../time.ts';
import { recordEvent } from '../events.ts';
import type { ControllerContext } from '../context.ts';
import {
  feasibleNodesToFind,
  filterNode,
  fitErrorMessage,
  labelSelectorMatches,
  leastAllocatedScore,
  podFacts,
  type ExcludedDomains,
  type FilterResult,
  type PodFacts,
} from './filters.ts';
import { nodeInfoOf, schedulingSignature, type NodeInfo } from './node-info.ts';
import { podRequests } from './pod-requests.ts';

export const DEFAULT_SCHEDULER = 'default-scheduler';

export interface SchedulerOptions {
  pods: ObjectCache;
  nodes: ObjectCache;
  writer: Writer;
  log: Logger;
  registry: Registry;
}

interface Placement {
  node: string;
  requests: Map<string, number>;
}

const isTerminal = (pod: KubeObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** A pod this scheduler should place. */
export function wantsScheduling(pod: KubeObject): boolean {
  return (
    !pod.spec?.nodeName &&
    (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER) === DEFAULT_SCHEDULER &&
    !pod.metadata.deletionTimestamp &&
    !isTerminal(pod)
  );
}

/**
 * A stand-in for kube-scheduler: places pending pods on nodes from an in-memory allocation cache
 * (never re-listing), assumes each placement at once so the next pod sees it, and binds through
 * pods/binding without waiting. Pods that fit nowhere get PodScheduled=False/Unschedulable with
 * kube-scheduler's message and are retried when a node or a placement changes.
 */
export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly log: Logger;
  private readonly nodeInfos = new Map<string, NodeInfo>();
  private readonly signatures = new Map<string, string>();
  private nodeOrder: string[] = [];
  private readonly placements = new Map<string, Placement>();
  /** Pods bound or being bound by us whose nodeName the watch has not shown yet. */
  private readonly assumed = new Set<string>();
  private readonly queue = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private nextStart = 0;
  private scheduled = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly binds: Counter;
  private readonly bindErrors: Counter<'code'>;
  private readonly unschedulableTotal: Counter;
  private readonly attemptDuration: Histogram;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ controller: 'scheduler' });
    const registers = [opts.registry];
    this.binds = new Counter({ name: 'virtsim_scheduler_binds_total', help: 'Pods bound to a node', registers });
    this.bindErrors = new Counter({ name: 'virtsim_scheduler_bind_errors_total', help: 'Binding requests refused', labelNames: ['code'], registers });
    this.unschedulableTotal = new Counter({ name: 'virtsim_scheduler_unschedulable_total', help: 'Scheduling attempts that found no node', registers });
    this.attemptDuration = new Histogram({
      name: 'virtsim_scheduler_attempt_duration_seconds',
      help: 'Time to filter and score the nodes for one pod',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
    const self = this;
    new Gauge({ name: 'virtsim_scheduler_pending_pods', help: 'Pods waiting for a scheduling attempt', labelNames: ['queue'], registers, collect() {
      this.set({ queue: 'active' }, self.queue.size);
      this.set({ queue: 'unschedulable' }, self.unschedulable.size);
    } });
    opts.nodes.onChange((t, o) => this.onNode(t, o));
    opts.pods.onChange((t, o) => this.onPod(t, o));
  }

  start(): void {
    this.running = true;
    // Whatever was listed before we started leading.
    for (const n of this.opts.nodes.values()) this.onNode('ADDED', n);
    for (const p of this.opts.pods.values()) this.onPod('ADDED', p);
    // kube-scheduler also retries unschedulable pods periodically, not only on events.
    this.retryTimer = setInterval(() => this.flushUnschedulable(), 30_000);
    this.retryTimer.unref();
    this.kick();
  }

  stop(): void {
    this.running = false;
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  private ensureNode(name: string): NodeInfo {
    let n = this.nodeInfos.get(name);
    if (!n) {
      // A placement on a node we have not seen (yet): count it, schedule nothing there.
      n = { name, labels: {}, taints: [], unschedulable: true, ready: false, allocatable: new Map(), requested: new Map(), pods: new Set() };
      this.nodeInfos.set(name, n);
    }
    return n;
  }

  private onNode(type: WatchEventType, node: KubeObject): void {
    const name = node.metadata.name;
    if (type === 'DELETED') {
      const prev = this.nodeInfos.get(name);
      if (prev) {
        prev.allocatable = new Map();
        prev.ready = false;
      }
      this.signatures.delete(name);
      this.nodeOrder = this.nodeOrder.filter((n) => n !== name);
      return;
    }
    const prev = this.nodeInfos.get(name);
    const info = nodeInfoOf(node, prev);
    this.nodeInfos.set(name, info);
    if (!this.signatures.has(name)) this.nodeOrder.push(name);
    const sig = schedulingSignature(info);
    if (this.signatures.get(name) !== sig) {
      this.signatures.set(name, sig);
      this.scheduleFlush();
    }
  }

  private account(key: string, node: string, requests: Map<string, number>): void {
    const cur = this.placements.get(key);
    if (cur && cur.node === node) return;
    if (cur) this.unaccount(key);
    const n = this.ensureNode(node);
    for (const [r, v] of requests) n.requested.set(r, (n.requested.get(r) ?? 0) + v);
    n.pods.add(key);
    this.placements.set(key, { node, requests });
  }

  private unaccount(key: string): void {
    const cur = this.placements.get(key);
    if (!cur) return;
    this.placements.delete(key);
    const n = this.nodeInfos.get(cur.node);
    if (!n) return;
    for (const [r, v] of cur.requests) n.requested.set(r, (n.requested.get(r) ?? 0) - v);
    n.pods.delete(key);
  }

  private onPod(type: WatchEventType, pod: KubeObject): void {
    const key = objectKey(pod);
    if (type === 'DELETED' || isTerminal(pod)) {
      this.queue.delete(key);
      this.unschedulable.delete(key);
      this.assumed.delete(key);
      if (this.placements.has(key)) {
        this.unaccount(key);
        this.scheduleFlush();
      }
      return;
    }
    const node = pod.spec?.nodeName;
    if (node) {
      this.assumed.delete(key);
      this.queue.delete(key);
      this.unschedulable.delete(key);
      // Counted unless already counted there (an assumption on another node is corrected).
      if (this.placements.get(key)?.node !== node) {
        try {
          this.account(key, node, podRequests(pod));
        } catch (err) {
          this.log.warn({ pod: key, err }, 'pod requests unreadable, not counted');
        }
      }
      return;
    }
    if (!wantsScheduling(pod) || this.assumed.has(key) || this.unschedulable.has(key)) return;
    this.queue.add(key);
    this.kick();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || !this.unschedulable.size) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushUnschedulable();
    }, 100);
    this.flushTimer.unref();
  }

  private flushUnschedulable(): void {
    if (!this.running) return;
    for (const k of this.unschedulable) this.queue.add(k);
    this.unschedulable.clear();
    this.kick();
  }

  private kick(): void {
    if (this.scheduled || !this.running || !this.queue.size) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Schedules a batch synchronously, then yields so watch events and write answers get in. */
  private drain(): void {
    this.scheduled = false;
    if (!this.running) return;
    let budget = 256;
    for (const key of this.queue) {
      if (budget-- <= 0) break;
      this.queue.delete(key);
      this.scheduleOne(key);
    }
    this.kick();
  }

  private scheduleOne(key: string): void {
    const pod = this.opts.pods.get(key);
    if (!pod || !wantsScheduling(pod) || this.assumed.has(key)) return;
    let facts: PodFacts;
    try {
      facts = podFacts(pod);
    } catch (err) {
      this.log.warn({ pod: key, err }, 'pod not schedulable: bad resource requests');
      return;
    }
    const end = this.attemptDuration.startTimer();
    const { node, results } = this.findNode(facts);
    end();
    if (node) {
      this.assumed.add(key);
      this.account(key, node, facts.requests);
      void this.bind(key, pod, node);
      return;
    }
    this.unschedulableTotal.inc();
    this.unschedulable.add(key);
    void this.markUnschedulable(key, pod, fitErrorMessage(this.nodeOrder.length, results));
  }

  /** Filters nodes round-robin until enough fit (percentageOfNodesToScore), scores them, picks the best. */
  findNode(p: PodFacts): { node: string | undefined; results: FilterResult[] } {
    const order = this.nodeOrder;
    const total = order.length;
    const want = feasibleNodesToFind(total);
    const excluded = this.excludedDomains(p);
    const results: FilterResult[] = [];
    let best: string | undefined;
    let bestScore = -1;
    let ties = 0;
    let feasible = 0;
    let i = 0;
    for (; i < total && feasible < want; i++) {
      const name = order[(this.nextStart + i) % total];
      const info = this.nodeInfos.get(name)!;
      const r = filterNode(p, info, excluded);
      if (r.reasons.length) {
        results.push(r);
        continue;
      }
      feasible++;
      const score = leastAllocatedScore(p, info);
      if (score > bestScore) {
        bestScore = score;
        best = name;
        ties = 1;
      } else if (score === bestScore && Math.random() * ++ties < 1) best = name; // reservoir tie-break
    }
    if (total) this.nextStart = (this.nextStart + i) % total;
    return { node: best, results };
  }

  /** InterPodAffinity PreFilter: topology values where a pod matching a required anti-affinity term runs. */
  private excludedDomains(p: PodFacts): ExcludedDomains {
    if (!p.antiAffinity.length) return [];
    return p.antiAffinity.map((term) => {
      const values = new Set<string>();
      const namespaces = term.namespaces?.length ? term.namespaces : [p.namespace];
      for (const [key, placement] of this.placements) {
        const other = this.opts.pods.get(key);
        if (!other || !namespaces.includes(other.metadata.namespace ?? 'default')) continue;
        if (!labelSelectorMatches(term.labelSelector, other.metadata.labels ?? {})) continue;
        const v = this.nodeInfos.get(placement.node)?.labels[term.topologyKey];
        if (v !== undefined) values.add(v);
      }
      return { topologyKey: term.topologyKey, values };
    });
  }

  private async bind(key: string, pod: KubeObject, node: string): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    try {
      const r = await this.opts.writer.write({
        key,
        resource: 'pods/binding',
        method: 'POST',
        path: objectPath(PODS, ns, pod.metadata.name, 'binding'),
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: ns, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
      if (r.outcome === 'gone') this.forgetAssumed(key);
      else this.binds.inc();
    } catch (err) {
      const code = err instanceof StatusError ? err.code : 0;
      this.bindErrors.inc({ code: String(code) });
      this.forgetAssumed(key);
      // 409: bound by someone else or being deleted; the watch tells us which. Else try again.
      if (code !== 409) {
        this.log.warn({ pod: key, node, err }, 'binding failed, will retry');
        setTimeout(() => this.onPodKey(key), 1000).unref();
      }
    }
  }

  private onPodKey(key: string): void {
    const pod = this.opts.pods.get(key);
    if (pod) this.onPod('MODIFIED', pod);
  }

  private forgetAssumed(key: string): void {
    if (!this.assumed.delete(key)) return;
    const pod = this.opts.pods.get(key);
    if (!pod?.spec?.nodeName) this.unaccount(key);
  }

  private async markUnschedulable(key: string, pod: KubeObject, message: string): Promise<void> {
    const cur = ((pod.status?.conditions ?? []) as Array<Record<string, unknown>>).find((c) => c.type === 'PodScheduled');
    if (cur && cur.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    this.log.info({ pod: key, message }, 'pod unschedulable');
    recordEvent({ writer: this.opts.writer, log: this.log } as ControllerContext, 'default-scheduler', { apiVersion: 'v1', kind: 'Pod', ...pod }, 'Warning', 'FailedScheduling', message);
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : kubeNow(),
    };
    try {
      await this.opts.writer.write({
        key,
        resource: 'pods/status',
        method: 'PATCH',
        path: objectPath(PODS, pod.metadata.namespace ?? 'default', pod.metadata.name, 'status'),
        contentType: 'application/strategic-merge-patch+json',
        body: { status: { conditions: [condition] } },
      });
    } catch (err) {
      this.log.warn({ pod: key, err }, 'writing the Unschedulable condition failed');
    }
  }

  /** For tests and the benchmark: what the cache believes is placed on a node. */
  requestedOn(node: string): Map<string, number> | undefined {
    return this.nodeInfos.get(node)?.requested;
  }
}
