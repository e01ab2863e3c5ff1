import { assertSlot } from './slot.ts';

/** Object changes of slot N are published on `virtsim.ev.N`. */
export const EVENT_SUBJECT_PREFIX = 'virtsim.ev';
/** Subscribes to every slot at once (the watcher's own checks, debugging with `nats sub`). */
export const ALL_EVENTS_SUBJECT = `${EVENT_SUBJECT_PREFIX}.*`;
/** Request/reply subject on which the leading watcher serves snapshots of a set of slots. */
export const SNAPSHOT_SUBJECT = 'virtsim.snapshot';
/**
 * The watcher publishes here when events may have been missed (it became leader, or its NATS
 * connection came back): agents then take a fresh snapshot of their slots.
 */
export const RESYNC_SUBJECT = 'virtsim.ctl.resync';

export function eventSubject(slot: number): string {
  assertSlot(slot);
  return `${EVENT_SUBJECT_PREFIX}.${slot}`;
}

/** The slot an event subject is for, or undefined when the subject is not `virtsim.ev.<slot>`. */
export function slotOfSubject(subject: string): number | undefined {
  const prefix = `${EVENT_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const rest = subject.slice(prefix.length);
  if (!/^\d{1,4}$/.test(rest)) return undefined;
  const slot = Number(rest);
  try {
    assertSlot(slot);
  } catch {
    return undefined;
  }
  return slot;
}
