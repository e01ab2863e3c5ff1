// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatRequest {
  'agentId'?: (string);
  'epoch'?: (number | string | Long);
}

export interface HeartbeatRequest__Output {
  'agentId': (string);
  'epoch': (number);
}
