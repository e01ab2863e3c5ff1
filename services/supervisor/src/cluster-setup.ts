import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StatusError, STAGES, collectionPath, type KubeClient, type KubeObject } from '@virtsim/kube';
import { resolveStageFiles } from '@virtsim/stages';
import { readYamlObjects } from './yaml-files.ts';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

async function createIfMissing(client: KubeClient, path: string, obj: KubeObject): Promise<boolean> {
  try {
    await client.request({ method: 'POST', path, body: obj });
    return true;
  } catch (err) {
    if (err instanceof StatusError && err.code === 409) return false;
    throw new Error(`creating ${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
  }
}

/** Creates the CRDs of a folder (KubeVirt's and KWOK's Stage) and waits until they are served. */
export async function installCrds(client: KubeClient, dir: string): Promise<string[]> {
  const names: string[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  for (const crd of await readYamlObjects(files.map((f) => join(dir, f)))) {
    if (crd.kind !== 'CustomResourceDefinition') continue;
    await createIfMissing(client, CRD_PATH, crd);
    names.push(crd.metadata.name);
  }
  await waitEstablished(client, names);
  return names;
}

/** Waits until each CRD is Established (served), 15 s at most each. */
export async function waitEstablished(client: KubeClient, names: string[]): Promise<void> {
  for (const name of names) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const crd = await client.request<KubeObject>({ method: 'GET', path: `${CRD_PATH}/${name}` });
      if (crd.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Creates the Stage objects of the stage files as cluster resources, so `kubectl get stages`
 * shows what the agents run (the agents read the same files).
 */
export async function publishStages(client: KubeClient, paths: string[]): Promise<number> {
  const { files } = await resolveStageFiles(paths);
  let n = 0;
  for (const obj of await readYamlObjects(files)) {
    if (obj.kind !== 'Stage') continue;
    await createIfMissing(client, collectionPath(STAGES), obj);
    n++;
  }
  return n;
}
