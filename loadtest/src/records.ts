/** What the run knows about one VMI (and, for VM templates, its VM), in client clock ms. */
export interface VmiRecord {
  name: string;
  namespace: string;
  /** 0 for the density objects; n for the n-th churn round's replacements. */
  churnRound: number;
  /** When the create request was sent (the VM's, for VM templates): every latency starts here. */
  createSentAt?: number;
  createAckAt?: number;
  createAttempts: number;
  /** First time a watch event showed each VMI phase ("Created" for the first event at all). */
  phases: Record<string, number>;
  vmiReadyAt?: number;
  vmReadyAt?: number;
  node?: string;
  lastPhase: string;
  lastReason?: string;
  pod: PodTimes;
  /** Deletion (delete phase, churn) or stop (stop phase) request, and when the VMI was gone. */
  deleteSentAt?: number;
  stopSentAt?: number;
  deletedAt?: number;
  /** Set when the run meant to remove it: then leaving does not count as lost. */
  removing?: boolean;
}

export interface PodTimes {
  name?: string;
  createdAt?: number;
  scheduledAt?: number;
  initializedAt?: number;
  containersReadyAt?: number;
  readyAt?: number;
}

export interface MigrationRecord {
  name: string;
  namespace: string;
  vmiName: string;
  createSentAt?: number;
  phases: Record<string, number>;
  lastPhase: string;
  sourceNode?: string;
  targetNode?: string;
}

export const vmiKey = (namespace: string, name: string) => `${namespace}/${name}`;
