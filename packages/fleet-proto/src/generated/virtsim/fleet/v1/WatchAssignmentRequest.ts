// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto


export interface WatchAssignmentRequest {
  'agentId'?: (string);
}

export interface WatchAssignmentRequest__Output {
  'agentId': (string);
}
