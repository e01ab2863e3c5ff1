import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseDuration } from './durations.ts';
import { LoadtestInputError } from './errors.ts';
import { loadTemplate, type ObjectTemplate } from './templates.ts';
import { parseThreshold, type Threshold } from './thresholds.ts';

/** The phases a run plays, in the order the config lists them. */
export type PhaseSpec =
  | { kind: 'create' }
  | { kind: 'wait'; timeoutMs: number }
  | { kind: 'hold'; durationMs: number }
  | { kind: 'churn'; percent: number; qps: number; durationMs: number; timeoutMs: number }
  | { kind: 'migrate'; percent: number; qps: number; timeoutMs: number }
  | { kind: 'node-failure'; percent: number; durationMs: number; timeoutMs: number }
  | { kind: 'drain'; size: { nodes: number } | { percent: number }; parallel: number; timeoutMs: number; allowRealNodes: boolean }
  | { kind: 'delete'; qps: number; timeoutMs: number }
  | { kind: 'stop'; qps: number; timeoutMs: number }
  | { kind: 'cleanup'; timeoutMs: number };

export type PhaseKind = PhaseSpec['kind'];

export interface LoadtestConfig {
  /** Object names are `<name>-<n>`. */
  name: string;
  template: ObjectTemplate;
  count: number;
  qps: number;
  burst: number;
  namespacePrefix: string;
  objectsPerNamespace: number;
  phases: PhaseSpec[];
  thresholds: Threshold[];
  /** Leave the objects in place at the end (skip cleanup, also after Ctrl-C). */
  keep: boolean;
}

/** What flags can say; each one overrides the config file's value. */
export interface ConfigOverrides {
  template?: string;
  count?: number;
  rate?: number;
  burst?: number;
  objectsPerNamespace?: number;
  phases?: string;
  timeoutMs?: number;
  thresholds?: string[];
  keep?: boolean;
}

const PHASE_DEFAULTS: Record<PhaseKind, Record<string, string | number>> = {
  create: {},
  wait: { timeout: '10m' },
  hold: { duration: '1m' },
  churn: { percent: 10, rate: 10, duration: '1m', timeout: '5m' },
  migrate: { percent: 10, rate: 10, timeout: '5m' },
  'node-failure': { percent: 5, duration: '30s', timeout: '5m' },
  // nodes (default 1) or percent, and allowRealNodes: read below, they have no plain default.
  drain: { parallel: 1, timeout: '10m' },
  delete: { rate: 50, timeout: '10m' },
  stop: { rate: 50, timeout: '10m' },
  cleanup: { timeout: '10m' },
};

const TOP_LEVEL = new Set(['name', 'template', 'count', 'rate', 'burst', 'namespaces', 'phases', 'thresholds', 'keep']);

/** Reads fields off a plain object, each error naming the field's path. */
class Fields {
  readonly path: string;
  readonly obj: Record<string, unknown>;
  constructor(path: string, obj: Record<string, unknown>) {
    this.path = path;
    this.obj = obj;
  }
  private fail(key: string, why: string): never {
    throw new LoadtestInputError(`${this.path}${key}: ${why}`);
  }
  number(key: string, dflt: number, { min = 0, exclusiveMin = false, max = Infinity, integer = false } = {}): number {
    const v = this.obj[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `expected a number, got ${JSON.stringify(v)}`);
    if (integer && !Number.isInteger(v)) this.fail(key, `expected an integer, got ${v}`);
    if (exclusiveMin ? v <= min : v < min) this.fail(key, `must be ${exclusiveMin ? '>' : '>='} ${min}, got ${v}`);
    if (v > max) this.fail(key, `must be <= ${max}, got ${v}`);
    return v;
  }
  duration(key: string, dflt: string | number): number {
    const v = this.obj[key] ?? dflt;
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
    if (ms === undefined) this.fail(key, `expected a duration such as 30s, 5m or 500ms, got ${JSON.stringify(v)}`);
    return ms;
  }
  boolean(key: string, dflt: boolean): boolean {
    const v = this.obj[key] ?? dflt;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }
  onlyKeys(allowed: Iterable<string>): void {
    const ok = new Set(allowed);
    for (const k of Object.keys(this.obj)) if (!ok.has(k)) this.fail(k, `unknown field (known: ${[...ok].join(', ') || 'none'})`);
  }
}

function phaseFrom(entry: unknown, index: number): PhaseSpec {
  const at = `phases[${index}]`;
  let kind: string;
  let raw: Record<string, unknown> = {};
  if (typeof entry === 'string') kind = entry;
  else if (entry && typeof entry === 'object' && !Array.isArray(entry) && Object.keys(entry).length === 1) {
    kind = Object.keys(entry)[0];
    const v = (entry as Record<string, unknown>)[kind];
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new LoadtestInputError(`${at}.${kind}: expected a map of settings, got ${JSON.stringify(v)}`);
    raw = (v ?? {}) as Record<string, unknown>;
  } else throw new LoadtestInputError(`${at}: expected a phase name or {name: {settings}}, got ${JSON.stringify(entry)}`);
  if (!(kind in PHASE_DEFAULTS)) throw new LoadtestInputError(`${at}: unknown phase ${JSON.stringify(kind)} (known: ${Object.keys(PHASE_DEFAULTS).join(', ')})`);
  const k = kind as PhaseKind;
  const d = PHASE_DEFAULTS[k];
  const f = new Fields(`${at}.${k}.`, raw);
  f.onlyKeys([...Object.keys(d), ...(k === 'drain' ? ['nodes', 'percent', 'allowRealNodes'] : [])]);
  switch (k) {
    case 'create':
      return { kind: k };
    case 'wait':
    case 'cleanup':
      return { kind: k, timeoutMs: f.duration('timeout', d.timeout) };
    case 'hold':
      return { kind: k, durationMs: f.duration('duration', d.duration) };
    case 'churn':
      return {
        kind: k,
        percent: f.number('percent', d.percent as number, { min: 0, exclusiveMin: true, max: 100 }),
        qps: f.number('rate', d.rate as number, { min: 0, exclusiveMin: true }),
        durationMs: f.duration('duration', d.duration),
        timeoutMs: f.duration('timeout', d.timeout),
      };
    case 'migrate':
      return {
        kind: k,
        percent: f.number('percent', d.percent as number, { min: 0, exclusiveMin: true, max: 100 }),
        qps: f.number('rate', d.rate as number, { min: 0, exclusiveMin: true }),
        timeoutMs: f.duration('timeout', d.timeout),
      };
    case 'node-failure':
      return {
        kind: k,
        percent: f.number('percent', d.percent as number, { min: 0, exclusiveMin: true, max: 100 }),
        durationMs: f.duration('duration', d.duration),
        timeoutMs: f.duration('timeout', d.timeout),
      };
    case 'drain': {
      if (f.has('nodes') && f.has('percent')) throw new LoadtestInputError(`${at}.drain: give nodes or percent, not both`);
      const size = f.has('percent') ? { percent: f.number('percent', 0, { min: 0, exclusiveMin: true, max: 100 }) } : { nodes: f.number('nodes', 1, { min: 1, integer: true }) };
      return { kind: k, size, parallel: f.number('parallel', d.parallel as number, { min: 1, integer: true }), timeoutMs: f.duration('timeout', d.timeout), allowRealNodes: f.boolean('allowRealNodes', false) };
    }
    case 'delete':
    case 'stop':
      return { kind: k, qps: f.number('rate', d.rate as number, { min: 0, exclusiveMin: true }), timeoutMs: f.duration('timeout', d.timeout) };
  }
}

/** Reads a config file (YAML); syntax errors name the file and line. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LoadtestInputError(`config ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new LoadtestInputError(`config ${path}${line ? `:${line}` : ''}: ${e.message.split('\n')[0]}`);
  }
  const v = doc.toJS() as unknown;
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new LoadtestInputError(`config ${path}: expected a map at the top, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  return v as Record<string, unknown>;
}

/**
 * The run's config: the file's settings (if any), then each flag over them. Every problem is a
 * LoadtestInputError naming the field, so nothing is created for a run that cannot go through.
 */
export function resolveConfig(file: Record<string, unknown>, flags: ConfigOverrides, baseDir = process.cwd()): LoadtestConfig {
  const top = new Fields('', file);
  top.onlyKeys(TOP_LEVEL);
  const merged: Record<string, unknown> = { ...file };
  if (flags.count !== undefined) merged.count = flags.count;
  if (flags.rate !== undefined) merged.rate = flags.rate;
  if (flags.burst !== undefined) merged.burst = flags.burst;
  const m = new Fields('', merged);
  const count = m.number('count', 100, { min: 1, integer: true });
  const qps = m.number('rate', 20, { min: 0, exclusiveMin: true });
  const burst = m.number('burst', Math.max(1, Math.ceil(qps)), { min: 1, integer: true });

  const nsRaw = (file.namespaces ?? {}) as Record<string, unknown>;
  if (typeof nsRaw !== 'object' || Array.isArray(nsRaw)) throw new LoadtestInputError(`namespaces: expected a map {prefix, objectsPerNamespace}, got ${JSON.stringify(nsRaw)}`);
  const ns = new Fields('namespaces.', { ...nsRaw, ...(flags.objectsPerNamespace !== undefined ? { objectsPerNamespace: flags.objectsPerNamespace } : {}) });
  ns.onlyKeys(['prefix', 'objectsPerNamespace']);
  const objectsPerNamespace = ns.number('objectsPerNamespace', 1000, { min: 1, integer: true });
  const namespacePrefix = String(nsRaw.prefix ?? 'virtsim-loadtest');
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(namespacePrefix)) throw new LoadtestInputError(`namespaces.prefix: ${JSON.stringify(namespacePrefix)} is not a DNS label of at most 42 characters`);

  const name = String(file.name ?? 'density');
  if (!/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(name)) throw new LoadtestInputError(`name: ${JSON.stringify(name)} must be a DNS label of at most 32 characters (objects are named <name>-<n>)`);

  const templateRef = flags.template ?? (file.template === undefined ? 'vmi' : file.template);
  if (typeof templateRef !== 'string') throw new LoadtestInputError(`template: expected vmi, vm or a file path, got ${JSON.stringify(templateRef)}`);
  const template = loadTemplate(templateRef, baseDir);

  let phaseEntries: unknown[];
  if (flags.phases !== undefined) phaseEntries = flags.phases.split(',').map((s) => s.trim()).filter(Boolean);
  else if (file.phases === undefined) phaseEntries = ['create', 'wait', 'cleanup'];
  else if (Array.isArray(file.phases)) phaseEntries = file.phases;
  else throw new LoadtestInputError(`phases: expected a list, got ${JSON.stringify(file.phases)}`);
  if (phaseEntries.length === 0) throw new LoadtestInputError('phases: the list is empty');
  const phases = phaseEntries.map(phaseFrom);
  if (phases[0].kind !== 'create') throw new LoadtestInputError(`phases[0]: the first phase must be create, got ${phases[0].kind}`);
  if (flags.timeoutMs !== undefined) for (const p of phases) if (p.kind === 'wait') p.timeoutMs = flags.timeoutMs;
  for (const [i, p] of phases.entries()) {
    if (p.kind === 'stop' && template.kind !== 'VirtualMachine') throw new LoadtestInputError(`phases[${i}]: stop needs a VirtualMachine template (a VMI is deleted: use delete)`);
  }

  const rawThresholds = file.thresholds ?? [];
  if (!Array.isArray(rawThresholds)) throw new LoadtestInputError(`thresholds: expected a list such as ["VMIRunning:P99<2s"], got ${JSON.stringify(rawThresholds)}`);
  const thresholds = [...rawThresholds, ...(flags.thresholds ?? [])].map((t, i) => {
    try {
      return parseThreshold(String(t));
    } catch (err) {
      throw new LoadtestInputError(`thresholds[${i}]: ${(err as Error).message}`);
    }
  });
  const keep = flags.keep ?? file.keep === true;
  return { name, template, count, qps, burst, namespacePrefix, objectsPerNamespace, phases, thresholds, keep };
}

/** Loads `--config FILE` (relative template paths resolve beside it) and applies the flags. */
export function loadConfig(path: string | undefined, flags: ConfigOverrides): LoadtestConfig {
  if (!path) return resolveConfig({}, flags);
  const abs = resolve(path);
  return resolveConfig(readConfigFile(abs), flags, dirname(abs));
}
