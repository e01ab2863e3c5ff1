// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface Member {
  'agentId'?: (string);
  'slots'?: (number)[];
  'revoking'?: (number)[];
  'heartbeatAgeMs'?: (number | string | Long);
  'expiresAtMs'?: (number | string | Long);
}

export interface Member__Output {
  'agentId': (string);
  'slots': (number)[];
  'revoking': (number)[];
  'heartbeatAgeMs': (number);
  'expiresAtMs': (number);
}
