// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface AckRevokeResponse {
  'epoch'?: (number | string | Long);
}

export interface AckRevokeResponse__Output {
  'epoch': (number);
}
