// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto


export interface LeaveRequest {
  'agentId'?: (string);
}

export interface LeaveRequest__Output {
  'agentId': (string);
}
