/**
 * Shared by the tests of virtsim's default stage sets: loading a set folder as KWOK's stage_test.go
 * does (every *.yaml but kustomization.yaml), reading golden inputs, a render context with real
 * template functions at a fixed time, and applying a plan's writes to the object they target so a
 * test can walk an object through its lifecycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, builtinPatchSchemas, decodeJsonPatch } from '@virtsim/apimachinery';
import { goYamlToJson } from '@virtsim/goformats';
import { IPPools, parseStages, StageSet, type KubeObject, type PlanContext, type PlanRequest } from '@virtsim/stages';

export const STAGES_DIR = import.meta.dirname;

/** The set folders that ship with virtsim, in the order the top-level kustomization lists them. */
export const SET_NAMES = ['node', 'pod', 'vmi', 'vmim'] as const;

export function stageFilesOf(folder: string): string[] {
  const dir = path.join(STAGES_DIR, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .map((f) => path.join(dir, f));
}

/** Compiles the stage files of one or more set folders; throws with every problem found. */
export function loadSet(...folders: string[]): StageSet {
  const loaded = folders.flatMap(stageFilesOf).flatMap((f) => {
    const r = parseStages(readFileSync(f, 'utf8'), f);
    if (r.problems.length) throw new Error(`${f}: ${JSON.stringify(r.problems)}`);
    return r.stages;
  });
  const { set, problems } = StageSet.compile(loaded);
  if (problems.length) throw new Error(JSON.stringify(problems));
  return set;
}

export function readObject(file: string): KubeObject {
  return goYamlToJson(readFileSync(file, 'utf8')) as KubeObject;
}

/** Golden inputs of a set folder: [name, absolute path]. */
export function goldenInputs(folder: string): [string, string][] {
  const td = path.join(STAGES_DIR, folder, 'testdata');
  return readdirSync(td)
    .filter((f) => f.endsWith('.input.yaml'))
    .sort()
    .map((f) => [`${folder}/${f.replace(/\.input\.yaml$/, '')}`, path.join(td, f)]);
}

export const FIXED_NOW = Date.UTC(2026, 7, 1, 12, 0, 0);

/**
 * Real template functions at a fixed time, for simulated nodes with a pod CIDR each. PodIPsWith
 * hands out one address per pod UID and returns it again for the same UID: the launcher pod stage
 * and the VMI stages both ask for the launcher pod's address by its UID (see README.md).
 */
export function renderContext(now = FIXED_NOW): PlanContext {
  const pools = new IPPools();
  const byUID = new Map<string, string[]>();
  const nodeIndex = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? '1') % 250;
  const node = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: { podCIDR: `10.244.${nodeIndex(name)}.0/24` },
    status: { addresses: [{ type: 'InternalIP', address: `10.0.0.${nodeIndex(name)}` }] },
  });
  return {
    now,
    random: () => 0,
    env: { nodeIP: '10.0.0.1', nodeName: 'node-0001', nodePort: 10250, getNode: node, ipPools: pools },
    funcs: {
      PodIPsWith: (nodeName: unknown, hostNetwork: unknown, uid: unknown) => {
        const n = String(nodeName);
        if (hostNetwork === true) return [`10.0.0.${nodeIndex(n)}`];
        const key = `${n}/${String(uid)}`;
        let ips = byUID.get(key);
        if (!ips) byUID.set(key, (ips = [pools.pool(`10.244.${nodeIndex(n)}.0/24`).get()]));
        return ips;
      },
    },
  };
}

function sameTarget(obj: KubeObject, target: KubeObject): boolean {
  return (
    obj.kind === target.kind &&
    obj.metadata?.name === target.metadata?.name &&
    (obj.metadata?.namespace ?? '') === (target.metadata?.namespace ?? obj.metadata?.namespace ?? '')
  );
}

/**
 * Applies one patch the way the API server would (strategic merge for built-in kinds that have a
 * schema; JSON patches with the server's own implementation, so an op that would fail there throws).
 */
export function applyPatch(obj: KubeObject, type: 'merge' | 'strategic' | 'json', data: unknown): KubeObject {
  if (type === 'strategic') {
    const schema = builtinPatchSchemas[`${obj.apiVersion ?? 'v1'}/${obj.kind}`];
    return applyStrategicMergePatch(obj, data, schema) as KubeObject;
  }
  if (type === 'merge') return applyMergePatch(obj, data) as KubeObject;
  return applyJsonPatch(obj, decodeJsonPatch(data));
}

/** The object after the plan's writes to itself; `deleted` when a delete went through. */
export function applyOwnWrites(obj: KubeObject, requests: PlanRequest[]): { obj: KubeObject; deleted: boolean } {
  let cur = obj;
  for (const r of requests) {
    if (r.kind === 'patch') cur = applyPatch(cur, r.type, r.data);
    else if (r.kind === 'delete') return { obj: cur, deleted: true };
  }
  return { obj: cur, deleted: false };
}

/** The object after a plan's `apply` requests aimed at it (e.g. a VMI stage marking its source pod). */
export function applyForeignWrites(obj: KubeObject, requests: PlanRequest[]): KubeObject {
  let cur = obj;
  for (const r of requests) {
    if (r.kind !== 'apply' || !sameTarget(cur, r.data as KubeObject)) continue;
    if (r.type === 'apply') throw new Error('server-side apply is not used by virtsim default stages');
    cur = applyPatch(cur, r.type, r.data);
  }
  return cur;
}

/** Writes a plan sends to the API server (events excluded), counted by kind of request. */
export function countWrites(requests: PlanRequest[]): number {
  return requests.filter((r) => r.kind !== 'event').length;
}
