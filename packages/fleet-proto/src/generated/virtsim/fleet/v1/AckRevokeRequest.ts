// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto


export interface AckRevokeRequest {
  'agentId'?: (string);
  'slots'?: (number)[];
}

export interface AckRevokeRequest__Output {
  'agentId': (string);
  'slots': (number)[];
}
