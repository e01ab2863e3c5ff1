// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatResponse {
  'epoch'?: (number | string | Long);
}

export interface HeartbeatResponse__Output {
  'epoch': (number);
}
