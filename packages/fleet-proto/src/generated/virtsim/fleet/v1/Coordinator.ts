// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AckRevokeRequest as _virtsim_fleet_v1_AckRevokeRequest, AckRevokeRequest__Output as _virtsim_fleet_v1_AckRevokeRequest__Output } from '../../../virtsim/fleet/v1/AckRevokeRequest.ts';
import type { AckRevokeResponse as _virtsim_fleet_v1_AckRevokeResponse, AckRevokeResponse__Output as _virtsim_fleet_v1_AckRevokeResponse__Output } from '../../../virtsim/fleet/v1/AckRevokeResponse.ts';
import type { Assignment as _virtsim_fleet_v1_Assignment, Assignment__Output as _virtsim_fleet_v1_Assignment__Output } from '../../../virtsim/fleet/v1/Assignment.ts';
import type { GetTableRequest as _virtsim_fleet_v1_GetTableRequest, GetTableRequest__Output as _virtsim_fleet_v1_GetTableRequest__Output } from '../../../virtsim/fleet/v1/GetTableRequest.ts';
import type { HeartbeatRequest as _virtsim_fleet_v1_HeartbeatRequest, HeartbeatRequest__Output as _virtsim_fleet_v1_HeartbeatRequest__Output } from '../../../virtsim/fleet/v1/HeartbeatRequest.ts';
import type { HeartbeatResponse as _virtsim_fleet_v1_HeartbeatResponse, HeartbeatResponse__Output as _virtsim_fleet_v1_HeartbeatResponse__Output } from '../../../virtsim/fleet/v1/HeartbeatResponse.ts';
import type { JoinRequest as _virtsim_fleet_v1_JoinRequest, JoinRequest__Output as _virtsim_fleet_v1_JoinRequest__Output } from '../../../virtsim/fleet/v1/JoinRequest.ts';
import type { JoinResponse as _virtsim_fleet_v1_JoinResponse, JoinResponse__Output as _virtsim_fleet_v1_JoinResponse__Output } from '../../../virtsim/fleet/v1/JoinResponse.ts';
import type { LeaveRequest as _virtsim_fleet_v1_LeaveRequest, LeaveRequest__Output as _virtsim_fleet_v1_LeaveRequest__Output } from '../../../virtsim/fleet/v1/LeaveRequest.ts';
import type { LeaveResponse as _virtsim_fleet_v1_LeaveResponse, LeaveResponse__Output as _virtsim_fleet_v1_LeaveResponse__Output } from '../../../virtsim/fleet/v1/LeaveResponse.ts';
import type { Table as _virtsim_fleet_v1_Table, Table__Output as _virtsim_fleet_v1_Table__Output } from '../../../virtsim/fleet/v1/Table.ts';
import type { WatchAssignmentRequest as _virtsim_fleet_v1_WatchAssignmentRequest, WatchAssignmentRequest__Output as _virtsim_fleet_v1_WatchAssignmentRequest__Output } from '../../../virtsim/fleet/v1/WatchAssignmentRequest.ts';

export interface CoordinatorClient extends grpc.Client {
  AckRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  AckRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  AckRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  AckRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  ackRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  ackRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  ackRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  ackRevoke(argument: _virtsim_fleet_v1_AckRevokeRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_AckRevokeResponse__Output>): grpc.ClientUnaryCall;
  
  GetTable(argument: _virtsim_fleet_v1_GetTableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  GetTable(argument: _virtsim_fleet_v1_GetTableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  GetTable(argument: _virtsim_fleet_v1_GetTableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  GetTable(argument: _virtsim_fleet_v1_GetTableRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  getTable(argument: _virtsim_fleet_v1_GetTableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  getTable(argument: _virtsim_fleet_v1_GetTableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  getTable(argument: _virtsim_fleet_v1_GetTableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  getTable(argument: _virtsim_fleet_v1_GetTableRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_Table__Output>): grpc.ClientUnaryCall;
  
  Heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtsim_fleet_v1_HeartbeatRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  Join(argument: _virtsim_fleet_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _virtsim_fleet_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _virtsim_fleet_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _virtsim_fleet_v1_JoinRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _virtsim_fleet_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _virtsim_fleet_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _virtsim_fleet_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _virtsim_fleet_v1_JoinRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  Leave(argument: _virtsim_fleet_v1_LeaveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _virtsim_fleet_v1_LeaveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _virtsim_fleet_v1_LeaveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  Leave(argument: _virtsim_fleet_v1_LeaveRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _virtsim_fleet_v1_LeaveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _virtsim_fleet_v1_LeaveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _virtsim_fleet_v1_LeaveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  leave(argument: _virtsim_fleet_v1_LeaveRequest, callback: grpc.requestCallback<_virtsim_fleet_v1_LeaveResponse__Output>): grpc.ClientUnaryCall;
  
  WatchAssignment(argument: _virtsim_fleet_v1_WatchAssignmentRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtsim_fleet_v1_Assignment__Output>;
  WatchAssignment(argument: _virtsim_fleet_v1_WatchAssignmentRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtsim_fleet_v1_Assignment__Output>;
  watchAssignment(argument: _virtsim_fleet_v1_WatchAssignmentRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtsim_fleet_v1_Assignment__Output>;
  watchAssignment(argument: _virtsim_fleet_v1_WatchAssignmentRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtsim_fleet_v1_Assignment__Output>;
  
}

export interface CoordinatorHandlers extends grpc.UntypedServiceImplementation {
  AckRevoke: grpc.handleUnaryCall<_virtsim_fleet_v1_AckRevokeRequest__Output, _virtsim_fleet_v1_AckRevokeResponse>;
  
  GetTable: grpc.handleUnaryCall<_virtsim_fleet_v1_GetTableRequest__Output, _virtsim_fleet_v1_Table>;
  
  Heartbeat: grpc.handleUnaryCall<_virtsim_fleet_v1_HeartbeatRequest__Output, _virtsim_fleet_v1_HeartbeatResponse>;
  
  Join: grpc.handleUnaryCall<_virtsim_fleet_v1_JoinRequest__Output, _virtsim_fleet_v1_JoinResponse>;
  
  Leave: grpc.handleUnaryCall<_virtsim_fleet_v1_LeaveRequest__Output, _virtsim_fleet_v1_LeaveResponse>;
  
  WatchAssignment: grpc.handleServerStreamingCall<_virtsim_fleet_v1_WatchAssignmentRequest__Output, _virtsim_fleet_v1_Assignment>;
  
}

export interface CoordinatorDefinition extends grpc.ServiceDefinition {
  AckRevoke: MethodDefinition<_virtsim_fleet_v1_AckRevokeRequest, _virtsim_fleet_v1_AckRevokeResponse, _virtsim_fleet_v1_AckRevokeRequest__Output, _virtsim_fleet_v1_AckRevokeResponse__Output>
  GetTable: MethodDefinition<_virtsim_fleet_v1_GetTableRequest, _virtsim_fleet_v1_Table, _virtsim_fleet_v1_GetTableRequest__Output, _virtsim_fleet_v1_Table__Output>
  Heartbeat: MethodDefinition<_virtsim_fleet_v1_HeartbeatRequest, _virtsim_fleet_v1_HeartbeatResponse, _virtsim_fleet_v1_HeartbeatRequest__Output, _virtsim_fleet_v1_HeartbeatResponse__Output>
  Join: MethodDefinition<_virtsim_fleet_v1_JoinRequest, _virtsim_fleet_v1_JoinResponse, _virtsim_fleet_v1_JoinRequest__Output, _virtsim_fleet_v1_JoinResponse__Output>
  Leave: MethodDefinition<_virtsim_fleet_v1_LeaveRequest, _virtsim_fleet_v1_LeaveResponse, _virtsim_fleet_v1_LeaveRequest__Output, _virtsim_fleet_v1_LeaveResponse__Output>
  WatchAssignment: MethodDefinition<_virtsim_fleet_v1_WatchAssignmentRequest, _virtsim_fleet_v1_Assignment, _virtsim_fleet_v1_WatchAssignmentRequest__Output, _virtsim_fleet_v1_Assignment__Output>
}
