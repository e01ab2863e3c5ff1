// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface Assignment {
  'epoch'?: (number | string | Long);
  'slots'?: (number)[];
  'revoking'?: (number)[];
}

export interface Assignment__Output {
  'epoch': (number);
  'slots': (number)[];
  'revoking': (number)[];
}
