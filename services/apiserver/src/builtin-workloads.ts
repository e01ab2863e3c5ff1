/**
 * Defaults of the workload kinds, as Kubernetes 1.26's defaulting (pkg/apis/apps/v1 and
 * batch/v1 defaults.go, core/v1 SetDefaults_PodSpec for their pod templates) sets them on every
 * write, and the status their create strategies reset. `kubectl apply` of a Deployment then reads
 * back as from a real cluster (replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, ...).
 */
import type { KindBehaviour } from './builtins.ts';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** SetDefaults_PodSpec and SetDefaults_Container (the part a pod template gets; admission adds more to pods). */
export function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!isObj(c)) continue;
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':')) ? 'Always' : 'IfNotPresent';
    c.resources ??= {};
    for (const p of c.ports ?? []) if (isObj(p)) p.protocol ??= 'TCP';
  }
}

/** A pod template: its spec defaulted; the typed encoding writes an unset creationTimestamp as null. */
function defaultTemplate(template: unknown): void {
  if (!isObj(template)) return;
  template.metadata = { creationTimestamp: null, ...(template.metadata ?? {}) };
  if (isObj(template.spec)) defaultPodSpec(template.spec);
}

const resetStatus = (o: Obj) => {
  o.status = {};
};

function defaultDeployment(o: Obj): void {
  const spec = (o.spec ??= {});
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...(strategy.rollingUpdate ?? {}) };
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

function defaultReplicaSet(o: Obj): void {
  const spec = (o.spec ??= {});
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

function defaultStatefulSet(o: Obj): void {
  const spec = (o.spec ??= {});
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { partition: 0, ...(strategy.rollingUpdate ?? {}) };
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
}

function defaultDaemonSet(o: Obj): void {
  const spec = (o.spec ??= {});
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 0, ...(strategy.rollingUpdate ?? {}) };
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
}

/** SetDefaults_Job: completions and parallelism 1 when neither is set, backoffLimit 6, NonIndexed. */
function defaultJobSpec(spec: Obj): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  defaultTemplate(spec.template);
}

function defaultCronJob(o: Obj): void {
  const spec = (o.spec ??= {});
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  if (isObj(spec.jobTemplate)) {
    spec.jobTemplate.metadata = { creationTimestamp: null, ...(spec.jobTemplate.metadata ?? {}) };
    if (isObj(spec.jobTemplate.spec)) defaultJobSpec(spec.jobTemplate.spec);
  }
}

export const WORKLOAD_BEHAVIOUR: Record<string, KindBehaviour> = {
  'apps/deployments': { defaults: defaultDeployment, prepareForCreate: resetStatus },
  'apps/replicasets': { defaults: defaultReplicaSet, prepareForCreate: resetStatus },
  'apps/statefulsets': { defaults: defaultStatefulSet, prepareForCreate: resetStatus },
  'apps/daemonsets': { defaults: defaultDaemonSet, prepareForCreate: resetStatus },
  'batch/jobs': { defaults: (o) => defaultJobSpec((o.spec ??= {})), prepareForCreate: resetStatus },
  'batch/cronjobs': { defaults: defaultCronJob, prepareForCreate: resetStatus },
};
