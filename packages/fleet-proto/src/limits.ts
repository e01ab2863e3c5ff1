/**
 * Input limits of the coordinator's gRPC service, shared by server and client so both refuse the
 * same sizes (grpc-js answers RESOURCE_EXHAUSTED "Received message larger than max (N vs. M)").
 */

/**
 * The largest message either side sends or accepts. The biggest real one is GetTable: 1024 slot
 * owners of at most MAX_AGENT_ID_LENGTH characters plus the members, well under 1 MiB.
 */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** An agent id names a pod or a host (a DNS subdomain at most), and is repeated per slot it owns. */
export const MAX_AGENT_ID_LENGTH = 253;

/** grpc-js channel/server options that apply MAX_MESSAGE_BYTES in both directions. */
export const MESSAGE_SIZE_OPTIONS = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
} as const;
