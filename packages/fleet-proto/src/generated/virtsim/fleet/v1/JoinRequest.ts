// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto


export interface JoinRequest {
  'agentId'?: (string);
  'heldSlots'?: (number)[];
}

export interface JoinRequest__Output {
  'agentId': (string);
  'heldSlots': (number)[];
}
