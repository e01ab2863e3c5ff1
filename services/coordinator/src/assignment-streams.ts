import type { Assignment } from '@virtsim/fleet-proto';
import type { AgentAssignment, FleetState } from './fleet.ts';

/** One open WatchAssignment call, as the streams use it (a gRPC server stream in the server). */
export interface AssignmentCall {
  write(a: Assignment): unknown;
  end(): unknown;
  on(event: 'cancelled', listener: () => void): unknown;
}

function key(a: AgentAssignment): string {
  return `${a.slots.join(',')}|${a.revoking.join(',')}`;
}

/**
 * The open WatchAssignment streams, per agent (an agent may hold more than one). A stream gets
 * the agent's assignment when it opens and again whenever it changes: an epoch that leaves an
 * agent's slots and revokes as they were sends it nothing. The streams of an agent that is no
 * longer a member (left, expired) are ended.
 */
export class AssignmentStreams {
  private readonly fleet: FleetState;
  private readonly watches = new Map<string, Set<AssignmentCall>>();
  /** What each stream was sent last. */
  private readonly lastSent = new Map<AssignmentCall, string>();

  constructor(fleet: FleetState) {
    this.fleet = fleet;
  }

  /** Agents with at least one open stream. */
  get agents(): string[] {
    return [...this.watches.keys()];
  }

  /** Adds a stream of a member agent and sends it the current assignment. */
  open(agentId: string, call: AssignmentCall): void {
    let set = this.watches.get(agentId);
    if (!set) this.watches.set(agentId, (set = new Set()));
    set.add(call);
    call.on('cancelled', () => {
      set.delete(call);
      this.lastSent.delete(call);
      if (set.size === 0 && this.watches.get(agentId) === set) this.watches.delete(agentId);
    });
    this.push(agentId, true);
  }

  /** Sends the agent's assignment to its streams that have not had it yet (`force`: to all). */
  push(agentId: string, force = false): void {
    const calls = this.watches.get(agentId);
    if (!calls) return;
    const a = this.fleet.assignmentOf(agentId);
    const k = key(a);
    for (const call of calls) {
      if (!force && this.lastSent.get(call) === k) continue;
      this.lastSent.set(call, k);
      call.write({ epoch: a.epoch, slots: a.slots, revoking: a.revoking });
    }
  }

  /** After an epoch: members get their new assignment, the streams of former members end. */
  epochChanged(): void {
    for (const agentId of [...this.watches.keys()]) {
      if (this.fleet.membership.has(agentId)) this.push(agentId);
      else this.end(agentId);
    }
  }

  /** Ends the agent's streams (it left or expired). */
  end(agentId: string): void {
    for (const call of this.watches.get(agentId) ?? []) {
      this.lastSent.delete(call);
      call.end();
    }
    this.watches.delete(agentId);
  }

  /** Ends every stream (shutdown, so the gRPC server can stop). */
  endAll(): void {
    for (const id of [...this.watches.keys()]) this.end(id);
  }
}
