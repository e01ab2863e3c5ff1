import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as FleetProto } from './generated/coordinator.ts';
import type { ProtoGrpcType as HealthProto } from './generated/health.ts';

/** The repository's proto/ directory: the .proto files are the contract, loaded at run time. */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

// These options must match the `generate` script's flags (package.json): the generated types
// describe exactly what proto-loader produces with them (uint64 as number, enums as strings,
// defaults filled in).
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: { fleet: FleetProto; health: HealthProto } | undefined;

/** Loads virtsim.fleet.v1 and grpc.health.v1 once per process. */
export function loadProtos(): { fleet: FleetProto; health: HealthProto } {
  if (!cached) {
    const fleetDef = protoLoader.loadSync('virtsim/fleet/v1/coordinator.proto', LOADER_OPTIONS);
    const healthDef = protoLoader.loadSync('grpc/health/v1/health.proto', LOADER_OPTIONS);
    cached = {
      fleet: grpc.loadPackageDefinition(fleetDef) as unknown as FleetProto,
      health: grpc.loadPackageDefinition(healthDef) as unknown as HealthProto,
    };
  }
  return cached;
}
