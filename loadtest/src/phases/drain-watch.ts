import { Informer, PODS, VMIMS, type KubeClient, type KubeObject } from '@virtsim/kube';
import type { Logger } from '@virtsim/telemetry';
import { vmiKey, type MigrationRecord } from '../records.ts';
import { RUN_LABEL } from '../templates.ts';

/** The annotation virt-controller's evacuation controller puts on its migrations: the node being drained. */
export const EVACUATION_ANNOTATION = 'kubevirt.io/evacuationMigration';

const slimPod = (o: KubeObject): KubeObject => ({
  metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion },
  spec: { nodeName: o.spec?.nodeName },
});
const slimMigration = (o: KubeObject): KubeObject => ({
  metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion, annotations: o.metadata.annotations?.[EVACUATION_ANNOTATION] ? { [EVACUATION_ANNOTATION]: o.metadata.annotations[EVACUATION_ANNOTATION] } : undefined },
  spec: { vmiName: o.spec?.vmiName },
  status: { phase: o.status?.phase },
});

/**
 * What a drain watches besides the run tracker: the run's pods per node (a node is drained when the
 * last one is gone, timed from the watch event) and the evacuation controller's migrations of the
 * run's VMIs (virt-controller does not label them with the run, so the tracker does not see them).
 */
export class DrainWatch {
  readonly cordonedAt = new Map<string, number>();
  readonly emptyAt = new Map<string, number>();
  readonly migrations = new Map<string, MigrationRecord>();
  private readonly podsOnNode = new Map<string, Set<string>>();
  private readonly podNode = new Map<string, string>();
  private readonly informers: Informer[];

  constructor(client: KubeClient, runId: string, log: Logger, drained: ReadonlySet<string>, isEvacuee: (namespace: string, vmiName: string) => boolean) {
    this.informers = [
      new Informer(client, { resource: PODS, labelSelector: `${RUN_LABEL}=${runId}`, transform: slimPod, log, onEvent: (type, p) => this.onPod(type === 'DELETED' ? undefined : p.spec?.nodeName, p) }),
      new Informer(client, {
        resource: VMIMS,
        transform: slimMigration,
        log,
        onEvent: (type, m) => {
          const source = m.metadata.annotations?.[EVACUATION_ANNOTATION];
          if (type !== 'DELETED' && source && drained.has(source) && isEvacuee(m.metadata.namespace ?? '', m.spec?.vmiName)) this.onMigration(m, source);
        },
      }),
    ];
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  get synced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }

  stop(): Promise<unknown> {
    return Promise.all(this.informers.map((i) => i.stop()));
  }

  /** Called when the node is cordoned: its drain time starts here. */
  cordoned(node: string): void {
    this.cordonedAt.set(node, Date.now());
  }

  /** After its evictions: a node the watch already shows empty is drained now if not before. */
  checkEmpty(node: string): void {
    if (this.cordonedAt.has(node) && !this.emptyAt.has(node) && !this.podsOnNode.get(node)?.size) this.emptyAt.set(node, Date.now());
  }

  private onPod(node: string | undefined, p: KubeObject): void {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    const before = this.podNode.get(key);
    if (before === node) return;
    if (before) this.podsOnNode.get(before)?.delete(key);
    if (node) {
      this.podNode.set(key, node);
      let s = this.podsOnNode.get(node);
      if (!s) this.podsOnNode.set(node, (s = new Set()));
      s.add(key);
    } else this.podNode.delete(key);
    if (before) this.checkEmpty(before);
  }

  private onMigration(m: KubeObject, source: string): void {
    const ns = m.metadata.namespace ?? '';
    const key = vmiKey(ns, m.metadata.name);
    let r = this.migrations.get(key);
    // Its create request is virt-controller's: the first watch event is the nearest start we see.
    if (!r) this.migrations.set(key, (r = { name: m.metadata.name, namespace: ns, vmiName: m.spec?.vmiName, createSentAt: Date.now(), phases: {}, lastPhase: '', sourceNode: source }));
    const phase: string = m.status?.phase || 'Pending';
    r.phases[phase] ??= Date.now();
    r.lastPhase = phase;
  }
}
