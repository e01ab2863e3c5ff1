import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AckRevokeRequest as _virtsim_fleet_v1_AckRevokeRequest, AckRevokeRequest__Output as _virtsim_fleet_v1_AckRevokeRequest__Output } from './virtsim/fleet/v1/AckRevokeRequest.ts';
import type { AckRevokeResponse as _virtsim_fleet_v1_AckRevokeResponse, AckRevokeResponse__Output as _virtsim_fleet_v1_AckRevokeResponse__Output } from './virtsim/fleet/v1/AckRevokeResponse.ts';
import type { Assignment as _virtsim_fleet_v1_Assignment, Assignment__Output as _virtsim_fleet_v1_Assignment__Output } from './virtsim/fleet/v1/Assignment.ts';
import type { CoordinatorClient as _virtsim_fleet_v1_CoordinatorClient, CoordinatorDefinition as _virtsim_fleet_v1_CoordinatorDefinition } from './virtsim/fleet/v1/Coordinator.ts';
import type { GetTableRequest as _virtsim_fleet_v1_GetTableRequest, GetTableRequest__Output as _virtsim_fleet_v1_GetTableRequest__Output } from './virtsim/fleet/v1/GetTableRequest.ts';
import type { HeartbeatRequest as _virtsim_fleet_v1_HeartbeatRequest, HeartbeatRequest__Output as _virtsim_fleet_v1_HeartbeatRequest__Output } from './virtsim/fleet/v1/HeartbeatRequest.ts';
import type { HeartbeatResponse as _virtsim_fleet_v1_HeartbeatResponse, HeartbeatResponse__Output as _virtsim_fleet_v1_HeartbeatResponse__Output } from './virtsim/fleet/v1/HeartbeatResponse.ts';
import type { JoinRequest as _virtsim_fleet_v1_JoinRequest, JoinRequest__Output as _virtsim_fleet_v1_JoinRequest__Output } from './virtsim/fleet/v1/JoinRequest.ts';
import type { JoinResponse as _virtsim_fleet_v1_JoinResponse, JoinResponse__Output as _virtsim_fleet_v1_JoinResponse__Output } from './virtsim/fleet/v1/JoinResponse.ts';
import type { LeaveRequest as _virtsim_fleet_v1_LeaveRequest, LeaveRequest__Output as _virtsim_fleet_v1_LeaveRequest__Output } from './virtsim/fleet/v1/LeaveRequest.ts';
import type { LeaveResponse as _virtsim_fleet_v1_LeaveResponse, LeaveResponse__Output as _virtsim_fleet_v1_LeaveResponse__Output } from './virtsim/fleet/v1/LeaveResponse.ts';
import type { Member as _virtsim_fleet_v1_Member, Member__Output as _virtsim_fleet_v1_Member__Output } from './virtsim/fleet/v1/Member.ts';
import type { Table as _virtsim_fleet_v1_Table, Table__Output as _virtsim_fleet_v1_Table__Output } from './virtsim/fleet/v1/Table.ts';
import type { WatchAssignmentRequest as _virtsim_fleet_v1_WatchAssignmentRequest, WatchAssignmentRequest__Output as _virtsim_fleet_v1_WatchAssignmentRequest__Output } from './virtsim/fleet/v1/WatchAssignmentRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  virtsim: {
    fleet: {
      v1: {
        AckRevokeRequest: MessageTypeDefinition<_virtsim_fleet_v1_AckRevokeRequest, _virtsim_fleet_v1_AckRevokeRequest__Output>
        AckRevokeResponse: MessageTypeDefinition<_virtsim_fleet_v1_AckRevokeResponse, _virtsim_fleet_v1_AckRevokeResponse__Output>
        Assignment: MessageTypeDefinition<_virtsim_fleet_v1_Assignment, _virtsim_fleet_v1_Assignment__Output>
        Coordinator: SubtypeConstructor<typeof grpc.Client, _virtsim_fleet_v1_CoordinatorClient> & { service: _virtsim_fleet_v1_CoordinatorDefinition }
        GetTableRequest: MessageTypeDefinition<_virtsim_fleet_v1_GetTableRequest, _virtsim_fleet_v1_GetTableRequest__Output>
        HeartbeatRequest: MessageTypeDefinition<_virtsim_fleet_v1_HeartbeatRequest, _virtsim_fleet_v1_HeartbeatRequest__Output>
        HeartbeatResponse: MessageTypeDefinition<_virtsim_fleet_v1_HeartbeatResponse, _virtsim_fleet_v1_HeartbeatResponse__Output>
        JoinRequest: MessageTypeDefinition<_virtsim_fleet_v1_JoinRequest, _virtsim_fleet_v1_JoinRequest__Output>
        JoinResponse: MessageTypeDefinition<_virtsim_fleet_v1_JoinResponse, _virtsim_fleet_v1_JoinResponse__Output>
        LeaveRequest: MessageTypeDefinition<_virtsim_fleet_v1_LeaveRequest, _virtsim_fleet_v1_LeaveRequest__Output>
        LeaveResponse: MessageTypeDefinition<_virtsim_fleet_v1_LeaveResponse, _virtsim_fleet_v1_LeaveResponse__Output>
        Member: MessageTypeDefinition<_virtsim_fleet_v1_Member, _virtsim_fleet_v1_Member__Output>
        Table: MessageTypeDefinition<_virtsim_fleet_v1_Table, _virtsim_fleet_v1_Table__Output>
        WatchAssignmentRequest: MessageTypeDefinition<_virtsim_fleet_v1_WatchAssignmentRequest, _virtsim_fleet_v1_WatchAssignmentRequest__Output>
      }
    }
  }
}

