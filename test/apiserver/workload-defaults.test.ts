// Workload kinds read back with Kubernetes 1.26's defaults, as `kubectl apply` then `kubectl get`
// shows them on a real cluster: a Deployment's replicas, strategy, history and deadline, its pod
// template's spec defaults, the other apps and batch kinds, and defaults set again on update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';

let s: ApiServerHarness;

async function applied(obj: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await s.kubectl(['apply', '-o', 'json', '-f', '-'], { input: JSON.stringify(obj) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } });
const meta = (name: string) => ({ name, namespace: 'default' });

beforeAll(async () => {
  s = await startApiServerForTest();
});

afterAll(async () => {
  await s?.stop();
});

describe('workload defaults', () => {
  it('gives a Deployment and its pod template the real server\'s defaults and an empty status', async () => {
    const d = await applied({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec: { selector: { matchLabels: { app: 'web' } }, template: template('web') } });
    expect(d.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(d.spec.template.metadata.creationTimestamp).toBeNull();
    expect(d.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, securityContext: {} });
    expect(d.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {}, ports: [{ containerPort: 80, protocol: 'TCP' }] });
    // Templates get no admission defaults (service account, priority): only pods do.
    expect(d.spec.template.spec.serviceAccountName).toBeUndefined();
    expect(d.status).toEqual({});
  });

  it('keeps what the user set (Recreate has no rollingUpdate) and defaults again on update', async () => {
    const d = await applied({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('batchy'), spec: { replicas: 0, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'b' } }, template: template('b') } });
    expect(d.spec.replicas).toBe(0);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    const replaced = await s.kubectl(['replace', '-o', 'json', '-f', '-'], { input: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('batchy'), spec: { selector: { matchLabels: { app: 'b' } }, template: template('b') } }) });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout).spec).toMatchObject({ replicas: 1, strategy: { type: 'RollingUpdate' } });
  });

  it('defaults StatefulSets, DaemonSets, Jobs and CronJobs', async () => {
    const ss = await applied({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db'), spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db') } });
    expect(ss.spec).toMatchObject({ replicas: 1, podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } });
    const ds = await applied({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent'), spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') } });
    expect(ds.spec).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    const jobTemplate = { ...template('job'), spec: { ...template('job').spec, restartPolicy: 'Never' } };
    const job = await applied({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta('once'), spec: { template: jobTemplate } });
    expect(job.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const cron = await applied({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('nightly'), spec: { schedule: '0 2 * * *', jobTemplate: { spec: { parallelism: 3, template: jobTemplate } } } });
    expect(cron.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    // parallelism set alone: completions stays unset, as SetDefaults_Job leaves it.
    expect(cron.spec.jobTemplate.spec).toMatchObject({ parallelism: 3, backoffLimit: 6 });
    expect(cron.spec.jobTemplate.spec.completions).toBeUndefined();
  });
});
