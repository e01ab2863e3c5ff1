/** A one-line, actionable error of `virtsim up` (printed without a stack trace). */
export class UpError extends Error {}
