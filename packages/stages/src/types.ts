/**
 * The KWOK Stage API (kwok.x-k8s.io/v1alpha1, kind Stage) as it appears in YAML, plus the
 * normalised shape the engine works on (legacy `next` converted to `steps`, legacy `key:`
 * selector requirements and `expressionFrom` converted to their `jq:` forms).
 */

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface ExpressionFrom {
  /** Legacy jq form (== `jq: {expression}`). */
  expressionFrom?: string;
  jq?: { expression: string };
  cel?: { expression: string };
}

export interface MatchExpression {
  /** Legacy form: `key` is a jq program. */
  key?: string;
  operator?: SelectorOperator;
  values?: string[];
  jq?: { key: string; operator: SelectorOperator; values?: string[] };
  cel?: { expression: string };
}

export interface StageSelector {
  matchLabels?: Record<string, string>;
  matchAnnotations?: Record<string, string>;
  matchExpressions?: MatchExpression[];
}

/**
 * Who the request is sent as. KWOK's CRD only has `username`; `groups`, `uid` and `extra` are a
 * virtsim extension (kubevirt-handler is recognised by its node-name extra).
 */
export interface Impersonation {
  username: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface StageEvent {
  type?: string;
  reason?: string;
  message?: string;
}

export interface StageFinalizers {
  add?: { value: string }[];
  remove?: { value: string }[];
  empty?: boolean;
}

export type StagePatchType = 'json' | 'merge' | 'strategic';
export type StageApplyType = 'apply' | 'merge' | 'strategic';

export interface StagePatch {
  subresource?: string;
  root?: string;
  template?: string;
  type?: StagePatchType;
  impersonation?: Impersonation;
}

export interface StageApply {
  subresource?: string;
  template?: string;
  type?: StageApplyType;
  impersonation?: Impersonation;
}

export interface StageStep {
  event?: StageEvent;
  finalizers?: StageFinalizers;
  delete?: boolean;
  patch?: StagePatch;
  apply?: StageApply;
}

export interface StageNext {
  event?: StageEvent;
  finalizers?: StageFinalizers;
  delete?: boolean;
  patches?: StagePatch[];
  statusTemplate?: string;
  statusSubresource?: string;
  statusPatchAs?: Impersonation;
}

export interface StageDelay {
  durationMilliseconds?: number;
  durationFrom?: ExpressionFrom;
  jitterDurationMilliseconds?: number;
  jitterDurationFrom?: ExpressionFrom;
}

export interface StageSpec {
  resourceRef: { apiGroup?: string; kind: string };
  /** null/absent => the stage is ignored (KWOK's NewStage returns nil); {} matches everything. */
  selector?: StageSelector | null;
  weight?: number;
  weightFrom?: ExpressionFrom;
  delay?: StageDelay;
  next?: StageNext;
  steps?: StageStep[];
  immediateNextStage?: boolean;
}

/** A Stage object as written in YAML / stored in the API server. */
export interface StageObject {
  apiVersion: string;
  kind: 'Stage';
  metadata: { name: string; [k: string]: unknown };
  spec: StageSpec;
  status?: unknown;
}

/** Where a stage came from, for error messages. */
export interface StageSource {
  file: string;
  /** 0-based index of the YAML document in the file. */
  doc: number;
  /** 1-based line of the document's start. */
  line: number;
}

/** A Kubernetes object as plain JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
};
