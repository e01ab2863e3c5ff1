import { parseArgs } from 'node:util';

/**
 * The one flag parser of every virtsim command: typed flags (int, port, duration) that are checked
 * when parsed, so a bad value is refused with one line naming the flag, before anything starts:
 *
 *   virtsim up: --agents: expected a positive integer, got "x"
 */
export type FlagSpec =
  | { type: 'string'; short?: string; default?: string }
  | { type: 'strings'; short?: string }
  | { type: 'boolean'; short?: string }
  /** One of a fixed set of words. */
  | { type: 'choice'; choices: readonly string[]; default?: string }
  /** An integer in [min, max] (min defaults to 0). */
  | { type: 'int'; min?: number; max?: number; default?: number }
  /** A TCP port: 1-65535, or 0 too ("any free port") when allowZero. */
  | { type: 'port'; allowZero?: boolean; default?: number }
  /**
   * A duration, read as milliseconds: Go-style ("500ms", "10s", "1m30s", "1h") or a bare number
   * in `unit` (so `--ttl-ms 10000` and `--event-ttl 3600` keep working). min defaults to 0.
   */
  | { type: 'duration'; unit: 'ms' | 's'; min?: number; default?: number }
  /** A fraction from 0 to 1 ("0.1", "1", ".25"). */
  | { type: 'ratio'; default?: number };

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<F extends FlagSpec> = F extends { type: 'choice'; choices: readonly (infer C)[] }
  ? C
  : F['type'] extends 'boolean'
    ? boolean
    : F['type'] extends 'strings'
      ? string[]
      : F['type'] extends 'string'
        ? string
        : number;

/** Flags with a default (and booleans, false when absent) always have a value. */
export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { default: unknown } | { type: 'boolean' } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** A bad command line; the message names the flag (`--agents: expected …`). */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `argv` against `specs`; throws FlagError for an unknown flag or a bad value. */
export function parseFlags<const S extends FlagSpecs>(
  argv: string[],
  specs: S,
  { positionals = false }: { positionals?: boolean } = {},
): { values: FlagValues<S>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', multiple: spec.type === 'strings' };
    if ('short' in spec && spec.short) options[name].short = spec.short;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    // node:util's messages, on one line and without its hint about positionals (we take none or few).
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ');
    throw new FlagError(message, { cause: err });
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = (parsed.values as Record<string, string | boolean | string[] | undefined>)[name];
    values[name] = raw === undefined ? defaultOf(spec) : convert(name, spec, raw);
  }
  return { values: values as FlagValues<S>, positionals: parsed.positionals };
}

function defaultOf(spec: FlagSpec): unknown {
  if (spec.type === 'boolean') return false;
  return 'default' in spec ? spec.default : undefined;
}

function convert(name: string, spec: FlagSpec, raw: string | boolean | string[]): unknown {
  if (typeof raw !== 'string') return raw;
  const bad = (expected: string) => new FlagError(`--${name}: expected ${expected}, got ${JSON.stringify(raw)}`);
  switch (spec.type) {
    case 'string':
      return raw;
    case 'choice':
      if (!spec.choices.includes(raw)) throw bad(`one of ${spec.choices.join(', ')}`);
      return raw;
    case 'int': {
      const min = spec.min ?? 0;
      const n = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < min || (spec.max !== undefined && n > spec.max)) throw bad(intRange(min, spec.max));
      return n;
    }
    case 'port': {
      const min = spec.allowZero ? 0 : 1;
      const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!(n >= min && n <= 65535)) throw bad(`a port number (${min}-65535${spec.allowZero ? ', 0 picks a free one' : ''})`);
      return n;
    }
    case 'ratio': {
      const n = /^(\d+(\.\d*)?|\.\d+)$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!(n >= 0 && n <= 1)) throw bad('a fraction from 0 to 1 (e.g. 0.1)');
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw, spec.unit);
      const min = spec.min ?? 0;
      if (ms === undefined || ms < min) throw bad(`a duration like 500ms, 10s or 2m (or a number of ${spec.unit === 'ms' ? 'milliseconds' : 'seconds'})${min > 0 ? ` of at least ${min} ms` : ''}`);
      return ms;
    }
    default:
      return raw;
  }
}

function intRange(min: number, max: number | undefined): string {
  if (max !== undefined) return `an integer from ${min} to ${max}`;
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  return `an integer >= ${min}`;
}

/** "1m30s" -> 90000; a bare number is in `unit`; undefined when it is not a duration. */
export function parseDuration(text: string, unit: 'ms' | 's'): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * UNIT_MS[unit]!);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return undefined;
  let ms = 0;
  for (const [, n, u] of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[u!]!;
  return Math.round(ms);
}

/** The ops endpoint flags every service has, read one way. */
export function metricsFlags(defaultPort = 0) {
  return {
    'metrics-host': { type: 'string' },
    'metrics-port': { type: 'port', allowZero: true, default: defaultPort },
  } as const;
}

/**
 * For a command's entry point: parses, or prints one line `<command>: <reason>` (and where to find
 * the flags) to stderr and returns undefined, for the command to exit with 2.
 */
export function readFlags<const S extends FlagSpecs>(
  command: string,
  argv: string[],
  specs: S,
  opts?: { positionals?: boolean },
): { values: FlagValues<S>; positionals: string[] } | undefined {
  try {
    return parseFlags(argv, specs, opts);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${command}: ${err.message}\n`);
    return undefined;
  }
}
