// Original file: ../../proto/virtsim/fleet/v1/coordinator.proto


export interface GetTableRequest {
}

export interface GetTableRequest__Output {
}
