/**
 * Stage custom resources as watched in the API server: keeps the current objects by name and
 * rebuilds the StageSet on every change. A change that does not validate is not taken: the last
 * good set stays in force and the update reports why (the caller logs it / sets a condition).
 * Pure: the caller feeds it watch events.
 */
import { formatProblem, type StageProblem } from './errors.ts';
import { fromObjectsUnchecked } from './load.ts';
import { StageSet } from './stage-set.ts';
import type { CompileOptions } from './compile.ts';

export interface RegistryUpdate {
  /** true when the new objects compiled and the set was replaced. */
  applied: boolean;
  /** Why the change was refused (empty when applied). */
  problems: StageProblem[];
  /** One line per problem, for logs. */
  messages: string[];
}

export class StageRegistry {
  private objects = new Map<string, unknown>();
  private current: StageSet;
  private readonly opts: CompileOptions;

  constructor(initial: unknown[] = [], opts: CompileOptions = {}) {
    this.opts = opts;
    this.current = new StageSet([]);
    this.replaceAll(initial);
  }

  /** The set in force (the last one that validated). */
  get set(): StageSet {
    return this.current;
  }

  /** A Stage was added or modified. */
  upsert(obj: unknown): RegistryUpdate {
    const name = nameOf(obj);
    const next = new Map(this.objects);
    next.set(name, obj);
    return this.tryApply(next);
  }

  /** A Stage was deleted. */
  remove(name: string): RegistryUpdate {
    if (!this.objects.has(name)) return { applied: true, problems: [], messages: [] };
    const next = new Map(this.objects);
    next.delete(name);
    return this.tryApply(next);
  }

  /** A relist: exactly these Stages. */
  replaceAll(objs: unknown[]): RegistryUpdate {
    const next = new Map<string, unknown>();
    for (const o of objs) next.set(nameOf(o), o);
    return this.tryApply(next);
  }

  private tryApply(next: Map<string, unknown>): RegistryUpdate {
    const objs = [...next.values()];
    const parsed = fromObjectsUnchecked(objs, 'stage');
    const { set, problems } = StageSet.compile(parsed.stages, this.opts);
    const all = [...parsed.problems, ...problems];
    if (all.length) return { applied: false, problems: all, messages: all.map(formatProblem) };
    this.objects = next;
    this.current = set;
    return { applied: true, problems: [], messages: [] };
  }
}

function nameOf(obj: unknown): string {
  return String((obj as { metadata?: { name?: unknown } } | null)?.metadata?.name ?? '');
}
