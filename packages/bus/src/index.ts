export { SLOT_COUNT, fnv1a32, slotOf, assertSlot } from './slot.ts';
export { EVENT_SUBJECT_PREFIX, ALL_EVENTS_SUBJECT, SNAPSHOT_SUBJECT, RESYNC_SUBJECT, eventSubject, slotOfSubject } from './subjects.ts';
export {
  HEADER,
  EVENT_TYPES,
  BusDecodeError,
  MAX_EVENT_BYTES,
  encodeEvent,
  decodeEvent,
  stripManagedFields,
  type EventType,
  type KubeObject,
  type ObjectEvent,
  type DecodedEvent,
  type EncodedMessage,
} from './envelope.ts';
export { injectTraceContext, extractTraceContext } from './trace-context.ts';
export { connectNats, type BusLogger, type ManagedNatsConnection, type NatsConnectionOptions } from './connection.ts';
export { serveSnapshots, requestSnapshot, type SnapshotItem, type SnapshotProvider, type SnapshotServeOptions } from './snapshot.ts';
export { Bus, SlotSubscriber, type BusOptions, type SlotEventHandlers } from './bus.ts';
export { readNatsAuth, NATS_AUTH_FLAGS, NATS_AUTH_ENV, NATS_AUTH_HELP, type NatsAuth } from './auth.ts';
export { natsServerConfig, type NatsServerSecurity } from './server-config.ts';
