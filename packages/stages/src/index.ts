/**
 * @virtsim/stages — KWOK's Stage API (kwok.x-k8s.io/v1alpha1 Stage): load and validate stage
 * files and Stage custom resources, select the next stage of an object with KWOK's exact rules,
 * compute its delay, and plan the requests its steps make. Pure: no I/O besides reading files.
 */
export type * from './types.ts';
export { StageLoadError, StageEvalError, StageRenderError, formatProblem, type StageProblem } from './errors.ts';
export { loadStageFiles, checkStageFiles, parseStageText, type CheckResult } from './files.ts';
export { MAX_STAGE_FILE_BYTES } from './stage-file-read.ts';
export { parseStages, resolveStageFiles, STAGE_API_VERSION, type LoadedStage, type ParseResult } from './load.ts';
export { StageRegistry, type RegistryUpdate } from './stage-registry.ts';
export { StageSet, objectRef, type PlanContext, type Plan, type Selection, type PossibleStage } from './stage-set.ts';
export type { CompiledStage, CompiledStep, CompileOptions } from './compile.ts';
export {
  PATCH_CONTENT_TYPES,
  type PlanRequest,
  type PatchRequest,
  type ApplyRequest,
  type DeleteRequest,
  type EventRequest,
  type PatchType,
} from './render.ts';
export { finalizerOps, type JsonPatchOp } from './finalizers.ts';
export { IPPool, IPPools, IPPoolExhaustedError } from './ip-pool.ts';
export { createKwokFuncs, placeholderFuncs, nodeHostIPs, nodePodCIDRs, markPodIPs, releasePodIPs, DEFAULT_CIDR, type TemplateEnv, type TemplateFunc } from './kwok-funcs.ts';
export { explainPlan, explainObject, EXPLAIN_NOW, type ExplainOptions } from './explain.ts';
