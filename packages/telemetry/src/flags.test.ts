import { describe, expect, it } from 'vitest';
import { FlagError, metricsFlags, parseDuration, parseFlags } from './flags.ts';

const reason = (argv: string[], specs: Parameters<typeof parseFlags>[1]) => {
  try {
    parseFlags(argv, specs);
  } catch (err) {
    expect(err).toBeInstanceOf(FlagError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseFlags', () => {
  it('reads typed values and defaults', () => {
    const { values } = parseFlags(['--agents', '3', '--port', '0', '--ttl', '1m30s', '--stages', 'a', '--stages', 'b', '--dry'], {
      agents: { type: 'int', min: 1, default: 2 },
      nodes: { type: 'int', default: 100 },
      port: { type: 'port', allowZero: true },
      ttl: { type: 'duration', unit: 'ms' },
      stages: { type: 'strings' },
      dry: { type: 'boolean' },
      quiet: { type: 'boolean' },
      name: { type: 'string' },
    });
    expect(values).toEqual({ agents: 3, nodes: 100, port: 0, ttl: 90_000, stages: ['a', 'b'], dry: true, quiet: false, name: undefined });
  });

  it('names the flag, what it expects and what it got', () => {
    expect(reason(['--agents', 'x'], { agents: { type: 'int', min: 1 } })).toBe('--agents: expected a positive integer, got "x"');
    expect(reason(['--agents', '0'], { agents: { type: 'int', min: 1 } })).toBe('--agents: expected a positive integer, got "0"');
    expect(reason(['--nodes', '1.5'], { nodes: { type: 'int' } })).toBe('--nodes: expected a non-negative integer, got "1.5"');
    expect(reason(['--nodes=-1'], { nodes: { type: 'int' } })).toBe('--nodes: expected a non-negative integer, got "-1"');
    expect(reason(['--nodes', '-1'], { nodes: { type: 'int' } })).toMatch(/^Option '--nodes' argument is ambiguous\. Did you forget/);
    expect(reason(['--nodes', ''], { nodes: { type: 'int' } })).toBe('--nodes: expected a non-negative integer, got ""');
    expect(reason(['--nodes', '1e3'], { nodes: { type: 'int' } })).toBe('--nodes: expected a non-negative integer, got "1e3"');
    expect(reason(['--n', '11'], { n: { type: 'int', min: 2, max: 10 } })).toBe('--n: expected an integer from 2 to 10, got "11"');
    expect(reason(['--port', '65536'], { port: { type: 'port' } })).toBe('--port: expected a port number (1-65535), got "65536"');
    expect(reason(['--port', '0'], { port: { type: 'port' } })).toBe('--port: expected a port number (1-65535), got "0"');
    expect(reason(['--metrics-port', 'http'], metricsFlags())).toBe('--metrics-port: expected a port number (0-65535, 0 picks a free one), got "http"');
    expect(reason(['--ttl', '10 s'], { ttl: { type: 'duration', unit: 'ms' } })).toBe('--ttl: expected a duration like 500ms, 10s or 2m (or a number of milliseconds), got "10 s"');
    expect(reason(['--ttl', '50ms'], { ttl: { type: 'duration', unit: 'ms', min: 100 } })).toBe(
      '--ttl: expected a duration like 500ms, 10s or 2m (or a number of milliseconds) of at least 100 ms, got "50ms"',
    );
    expect(reason(['--rate', '1.5'], { rate: { type: 'ratio' } })).toBe('--rate: expected a fraction from 0 to 1 (e.g. 0.1), got "1.5"');
    expect(reason(['--rate', '10%'], { rate: { type: 'ratio' } })).toBe('--rate: expected a fraction from 0 to 1 (e.g. 0.1), got "10%"');
    expect(parseFlags(['--rate', '.25'], { rate: { type: 'ratio', default: 0 } }).values.rate).toBe(0.25);
  });

  it('refuses unknown flags and missing values in one line', () => {
    expect(reason(['--nodez', '3'], { nodes: { type: 'int' } })).toBe("Unknown option '--nodez'");
    expect(reason(['--nodes'], { nodes: { type: 'int' } })).toMatch(/^Option '--nodes <value>' argument missing/);
    expect(reason(['extra'], { nodes: { type: 'int' } })).toMatch(/Unexpected argument 'extra'/);
  });

  it('reads a choice and refuses a word outside it, listing the choices', () => {
    const durability = { type: 'choice', choices: ['fsync', 'batch', 'none'] } as const;
    expect(parseFlags(['--durability', 'batch'], { durability }).values.durability).toBe('batch');
    expect(parseFlags([], { durability }).values.durability).toBeUndefined();
    expect(reason(['--durability', 'sync'], { durability })).toBe('--durability: expected one of fsync, batch, none, got "sync"');
  });

  it('returns positionals when asked', () => {
    expect(parseFlags(['table', '--json'], { json: { type: 'boolean' } }, { positionals: true }).positionals).toEqual(['table']);
  });
});

describe('parseDuration', () => {
  it('reads Go-style durations and bare numbers in the unit', () => {
    expect(parseDuration('500ms', 's')).toBe(500);
    expect(parseDuration('1h2m3s', 'ms')).toBe(3_723_000);
    expect(parseDuration('1.5s', 'ms')).toBe(1500);
    expect(parseDuration('3600', 's')).toBe(3_600_000);
    expect(parseDuration('250', 'ms')).toBe(250);
    expect(parseDuration('10d', 'ms')).toBeUndefined();
    expect(parseDuration('s', 'ms')).toBeUndefined();
    expect(parseDuration('-5s', 'ms')).toBeUndefined();
  });
});
