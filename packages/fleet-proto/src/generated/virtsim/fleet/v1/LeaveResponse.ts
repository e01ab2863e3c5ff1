// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaveResponse {
  'epoch'?: (number | string | Long);
}

export interface LeaveResponse__Output {
  'epoch': (number);
}
