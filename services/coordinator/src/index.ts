export { SlotTable, type RebalanceResult } from './slot-table.ts';
export { Membership, type MemberInfo } from './membership.ts';
export { FleetState, type AgentAssignment, type EpochChange, type FleetOptions } from './fleet.ts';
export { startCoordinatorServer, COORDINATOR_SERVICE, type CoordinatorServer, type CoordinatorServerOptions } from './server.ts';
export { runCoordinator } from './main.ts';
