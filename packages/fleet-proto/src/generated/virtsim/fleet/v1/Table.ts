// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto

import type { Member as _virtsim_fleet_v1_Member, Member__Output as _virtsim_fleet_v1_Member__Output } from '../../../virtsim/fleet/v1/Member.ts';
import type { Long } from '@grpc/proto-loader';

export interface Table {
  'epoch'?: (number | string | Long);
  'slotCount'?: (number);
  'members'?: (_virtsim_fleet_v1_Member)[];
  'owners'?: (string)[];
  'revoking'?: (number)[];
  'moves'?: (number | string | Long);
}

export interface Table__Output {
  'epoch': (number);
  'slotCount': (number);
  'members': (_virtsim_fleet_v1_Member__Output)[];
  'owners': (string)[];
  'revoking': (number)[];
  'moves': (number);
}
