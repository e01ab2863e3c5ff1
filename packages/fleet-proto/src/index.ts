export { CoordinatorClient, type CoordinatorClientOptions, type SlotAssignment } from './client.ts';
export { loadProtos, PROTO_ROOT } from './proto.ts';
export { serverCredentials, channelCredentials, channelTlsOptions, type ServerTls, type ClientTls } from './tls.ts';
export { monotonicNow } from './clock.ts';
export { MAX_MESSAGE_BYTES, MAX_AGENT_ID_LENGTH, MESSAGE_SIZE_OPTIONS } from './limits.ts';
// The generated message and service types the coordinator's server implements.
export type { CoordinatorHandlers } from './generated/virtsim/fleet/v1/Coordinator.ts';
export type { Assignment, Assignment__Output } from './generated/virtsim/fleet/v1/Assignment.ts';
export type { WatchAssignmentRequest__Output } from './generated/virtsim/fleet/v1/WatchAssignmentRequest.ts';
export type { Table__Output } from './generated/virtsim/fleet/v1/Table.ts';
export type { HealthHandlers } from './generated/grpc/health/v1/Health.ts';
export type { HealthCheckRequest__Output } from './generated/grpc/health/v1/HealthCheckRequest.ts';
export type { HealthCheckResponse } from './generated/grpc/health/v1/HealthCheckResponse.ts';
