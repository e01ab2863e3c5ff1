// Errors the jq package raises. Syntax errors carry the 0-based offset into the expression;
// runtime errors carry the jq value (what `try ... catch .` receives), worded as gojq words them.

export class JqSyntaxError extends Error {
  readonly position: number;
  readonly expression: string;
  constructor(expression: string, position: number, detail: string) {
    super(`jq syntax error at position ${position}: ${detail} in ${JSON.stringify(expression)}`);
    this.name = 'JqSyntaxError';
    this.position = position;
    this.expression = expression;
  }
}

export class JqRuntimeError extends Error {
  /** The error value: a string message for built-in errors, any value for `error(v)`. */
  readonly value: unknown;
  constructor(message: string, value: unknown = message) {
    // Runtime errors are data ("no value" for a selector) and frequent; a stack trace would cost
    // more than the evaluation and says nothing about the jq program.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'JqRuntimeError';
    this.value = value;
  }
}

/** Thrown by `break $label`, `limit`, `first(f)`: unwinds a generator early; never escapes a program. */
export class BreakSignal {
  readonly label: object;
  constructor(label: object) {
    this.label = label;
  }
}
