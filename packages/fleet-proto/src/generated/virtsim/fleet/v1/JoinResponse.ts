// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface JoinResponse {
  'epoch'?: (number | string | Long);
  'ttlMs'?: (number);
  'heartbeatIntervalMs'?: (number);
  'slotCount'?: (number);
  'acceptedSlots'?: (number)[];
}

export interface JoinResponse__Output {
  'epoch': (number);
  'ttlMs': (number);
  'heartbeatIntervalMs': (number);
  'slotCount': (number);
  'acceptedSlots': (number)[];
}
