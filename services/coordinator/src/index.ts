export { SlotTable, type RebalanceResult } from './slot-table.ts';
export { Membership, type MemberInfo } from './membership.ts';
export { FleetState, type AgentAssignment, type EpochChange, type FleetOptions } from './fleet.ts';
export { startCoordinatorServer, COORDINATOR_SERVICE, type CoordinatorServer, type CoordinatorServerOptions } from './server.ts';
export { CoordinatorClient, type CoordinatorClientOptions, type SlotAssignment } from './client.ts';
export { runCoordinator } from './main.ts';
export { loadProtos, PROTO_ROOT } from './proto.ts';
