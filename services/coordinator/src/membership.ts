import { monotonicNow } from '@virtsim/fleet-proto';

/** Agent membership with a heartbeat TTL. Pure: time comes from the injected clock. */
export interface MemberInfo {
  agentId: string;
  joinedAt: number;
  lastHeartbeat: number;
}

export class Membership {
  readonly ttlMs: number;
  private readonly now: () => number;
  private readonly members = new Map<string, MemberInfo>();

  constructor(ttlMs: number, now: () => number = monotonicNow) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** Adds or renews a member; returns true when it was not a member before. */
  join(agentId: string): boolean {
    const t = this.now();
    const existing = this.members.get(agentId);
    if (existing) {
      existing.lastHeartbeat = t;
      return false;
    }
    this.members.set(agentId, { agentId, joinedAt: t, lastHeartbeat: t });
    return true;
  }

  /** Renews a membership; false when the agent is not a member (it must join again). */
  heartbeat(agentId: string): boolean {
    const m = this.members.get(agentId);
    if (!m) return false;
    m.lastHeartbeat = this.now();
    return true;
  }

  leave(agentId: string): boolean {
    return this.members.delete(agentId);
  }

  has(agentId: string): boolean {
    return this.members.has(agentId);
  }

  get(agentId: string): MemberInfo | undefined {
    return this.members.get(agentId);
  }

  expiresAt(agentId: string): number | undefined {
    const m = this.members.get(agentId);
    return m ? m.lastHeartbeat + this.ttlMs : undefined;
  }

  /** Removes and returns the members whose last heartbeat is older than the TTL. */
  expire(): string[] {
    const t = this.now();
    const gone: string[] = [];
    for (const [id, m] of this.members) {
      if (t - m.lastHeartbeat > this.ttlMs) {
        this.members.delete(id);
        gone.push(id);
      }
    }
    return gone.sort();
  }

  /** Member ids, sorted. */
  ids(): string[] {
    return [...this.members.keys()].sort();
  }

  get size(): number {
    return this.members.size;
  }
}
