import type { Logger } from 'pino';
import { Informer, STAGES, type KubeClient } from '@virtsim/kube';
import { StageRegistry, loadStageFiles, type StageSet } from '@virtsim/stages';

/** Where an agent's stages come from: the set in force now, and how to stop following it. */
export interface StageSource {
  current: () => StageSet;
  stop(): Promise<void>;
}

/** Stage files or folders, read once at start (a bad file is refused with its path and line). */
export async function fileStages(paths: string[]): Promise<StageSource> {
  const set = await loadStageFiles(paths);
  return { current: () => set, stop: async () => {} };
}

/**
 * The Stage objects of the cluster as the set in force: watched, rebuilt on each change, and a
 * change that does not validate refused with its reasons logged (the last good set stays).
 * Resolves after the first complete list, so the agent never starts with an empty set by accident.
 * `onChange` runs after each accepted change: every object is then evaluated against the new set.
 */
export async function watchClusterStages(client: KubeClient, log: Logger, onChange: () => void): Promise<StageSource> {
  const registry = new StageRegistry();
  // A burst of changes (kubectl apply -k of a whole set) is one re-evaluation, not one per Stage.
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(pending);
    pending = setTimeout(onChange, 100);
  };
  const report = (what: string, name: string, r: ReturnType<StageRegistry['upsert']>) => {
    if (r.applied) {
      log.info({ stage: name, stages: registry.set.stages.length }, `stage ${what}`);
      changed();
    } else log.warn({ stage: name, problems: r.messages }, `stage ${what} refused, keeping the last good set`);
  };
  let synced: () => void;
  const firstList = new Promise<void>((resolve) => (synced = resolve));
  const informer = new Informer(client, {
    resource: STAGES,
    log,
    onEvent: (type, obj) => {
      if (type === 'DELETED') report('deleted', obj.metadata.name, registry.remove(obj.metadata.name));
      else report(type === 'ADDED' ? 'added' : 'changed', obj.metadata.name, registry.upsert(obj));
    },
    onSynced: () => synced(),
  });
  informer.start();
  await firstList;
  return {
    current: () => registry.set,
    stop: async () => {
      clearTimeout(pending);
      await informer.stop();
    },
  };
}
