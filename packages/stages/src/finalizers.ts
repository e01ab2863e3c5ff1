/**
 * The JSON patch KWOK computes for a `finalizers` step from the object's current finalizers
 * (pkg/utils/lifecycle/finalizers.go): `empty` removes the field; `remove` removes matching
 * entries by index, highest first (all of them ⇒ remove the field); `add` appends the missing
 * ones, or sets the whole list when the object has none (also after emptying).
 */
import type { StageFinalizers } from './types.ts';

export interface JsonPatchOp {
  op: 'add' | 'remove';
  path: string;
  value?: unknown;
}

function addOps(current: readonly string[], add: readonly { value: string }[]): JsonPatchOp[] {
  const values = add.map((f) => f.value);
  if (current.length === 0) return [{ op: 'add', path: '/metadata/finalizers', value: values }];
  const ops: JsonPatchOp[] = [];
  for (const v of values) {
    if (!current.includes(v)) ops.push({ op: 'add', path: '/metadata/finalizers/-', value: v });
  }
  return ops;
}

export function finalizerOps(current: readonly string[], f: StageFinalizers): JsonPatchOp[] {
  let isEmpty = false;
  const ops: JsonPatchOp[] = [];
  if (f.empty) isEmpty = true;
  else if (f.remove && f.remove.length > 0) {
    const values = f.remove.map((r) => r.value);
    const removed: JsonPatchOp[] = [];
    for (let i = current.length - 1; i >= 0; i--) {
      if (values.includes(current[i]!)) removed.push({ op: 'remove', path: `/metadata/finalizers/${i}` });
    }
    if (removed.length === current.length) isEmpty = true;
    else ops.push(...removed);
  }
  if (!isEmpty) {
    if (f.add && f.add.length > 0) ops.push(...addOps(current, f.add));
  } else {
    if (current.length > 0) ops.push({ op: 'remove', path: '/metadata/finalizers' });
    if (f.add && f.add.length > 0) ops.push(...addOps([], f.add));
  }
  return ops;
}
