/**
 * The Stage CRD's structural schema (kustomize/crd/bases/kwok.x-k8s.io_stages.yaml), written
 * out as a small descriptor so that unknown fields and wrong types are reported with their path,
 * as the API server would for a Stage custom resource.
 */

export type Shape =
  | { t: 'string'; enum?: readonly string[] }
  | { t: 'int'; min?: number }
  | { t: 'bool' }
  | { t: 'any' }
  | { t: 'arr'; items: Shape }
  | { t: 'map'; values: Shape }
  | { t: 'obj'; fields: Record<string, Shape>; required?: readonly string[] };

const str: Shape = { t: 'string' };
const bool: Shape = { t: 'bool' };
const nonNegInt: Shape = { t: 'int', min: 0 };
const strMap: Shape = { t: 'map', values: str };
const strList: Shape = { t: 'arr', items: str };

const expressionFrom: Shape = {
  t: 'obj',
  fields: {
    expressionFrom: str,
    jq: { t: 'obj', fields: { expression: str } },
    cel: { t: 'obj', fields: { expression: str } },
  },
};

const impersonation: Shape = {
  t: 'obj',
  fields: { username: str, groups: strList, uid: str, extra: { t: 'map', values: strList } },
  required: ['username'],
};

const event: Shape = { t: 'obj', fields: { type: str, reason: str, message: str } };
const finalizerItems: Shape = { t: 'arr', items: { t: 'obj', fields: { value: str } } };
const finalizers: Shape = { t: 'obj', fields: { add: finalizerItems, remove: finalizerItems, empty: bool } };

const patch: Shape = {
  t: 'obj',
  fields: {
    subresource: str,
    root: str,
    template: str,
    type: { t: 'string', enum: ['json', 'merge', 'strategic'] },
    impersonation,
  },
};

const apply: Shape = {
  t: 'obj',
  fields: {
    subresource: str,
    template: str,
    type: { t: 'string', enum: ['apply', 'merge', 'strategic'] },
    impersonation,
  },
};

const operator: Shape = { t: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] };

export const stageShape: Shape = {
  t: 'obj',
  required: ['spec'],
  fields: {
    apiVersion: str,
    kind: str,
    metadata: { t: 'any' },
    status: { t: 'any' },
    spec: {
      t: 'obj',
      required: ['resourceRef'],
      fields: {
        resourceRef: { t: 'obj', fields: { apiGroup: str, kind: str }, required: ['kind'] },
        selector: {
          t: 'obj',
          fields: {
            matchLabels: strMap,
            matchAnnotations: strMap,
            matchExpressions: {
              t: 'arr',
              items: {
                t: 'obj',
                fields: {
                  key: str,
                  operator,
                  values: strList,
                  jq: { t: 'obj', fields: { key: str, operator, values: strList } },
                  cel: { t: 'obj', fields: { expression: str } },
                },
              },
            },
          },
        },
        weight: nonNegInt,
        weightFrom: expressionFrom,
        delay: {
          t: 'obj',
          fields: {
            durationMilliseconds: nonNegInt,
            durationFrom: expressionFrom,
            jitterDurationMilliseconds: nonNegInt,
            jitterDurationFrom: expressionFrom,
          },
        },
        immediateNextStage: bool,
        next: {
          t: 'obj',
          fields: {
            event,
            finalizers,
            delete: bool,
            patches: { t: 'arr', items: patch },
            statusTemplate: str,
            statusSubresource: str,
            statusPatchAs: impersonation,
          },
        },
        steps: {
          t: 'arr',
          items: { t: 'obj', fields: { event, finalizers, delete: bool, patch, apply } },
        },
      },
    },
  },
};

export interface ShapeIssue {
  path: (string | number)[];
  /** true when the issue is about the key itself (unknown field) rather than its value. */
  atKey: boolean;
  reason: string;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Checks `value` against `shape`; null stands for "absent" as in Go's decoding of optional fields. */
export function checkShape(value: unknown, shape: Shape, path: (string | number)[] = [], out: ShapeIssue[] = []): ShapeIssue[] {
  if (value === null || value === undefined) return out;
  switch (shape.t) {
    case 'any':
      return out;
    case 'string':
      if (typeof value !== 'string') out.push({ path, atKey: false, reason: `must be a string, got ${typeName(value)}` });
      else if (shape.enum && !shape.enum.includes(value))
        out.push({ path, atKey: false, reason: `unsupported value "${value}": must be one of ${shape.enum.join(', ')}` });
      return out;
    case 'bool':
      if (typeof value !== 'boolean') out.push({ path, atKey: false, reason: `must be a boolean, got ${typeName(value)}` });
      return out;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value))
        out.push({ path, atKey: false, reason: `must be an integer, got ${typeName(value)}` });
      else if (shape.min !== undefined && value < shape.min)
        out.push({ path, atKey: false, reason: `must be >= ${shape.min}, got ${value}` });
      return out;
    case 'arr':
      if (!Array.isArray(value)) {
        out.push({ path, atKey: false, reason: `must be a list, got ${typeName(value)}` });
        return out;
      }
      value.forEach((item, i) => {
        // An empty list item (`- ` or `- null`) where an object belongs would be Go's zero value: refused as what it almost surely is, a mistake.
        if (item === null && shape.items.t === 'obj') out.push({ path: [...path, i], atKey: false, reason: 'must be an object, got null' });
        else checkShape(item, shape.items, [...path, i], out);
      });
      return out;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) {
        out.push({ path, atKey: false, reason: `must be a map, got ${typeName(value)}` });
        return out;
      }
      for (const [k, v] of Object.entries(value)) checkShape(v, shape.values, [...path, k], out);
      return out;
    case 'obj': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        out.push({ path, atKey: false, reason: `must be an object, got ${typeName(value)}` });
        return out;
      }
      const rec = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(rec)) {
        const sub = shape.fields[k];
        if (!sub) out.push({ path: [...path, k], atKey: true, reason: `unknown field "${k}"` });
        else checkShape(v, sub, [...path, k], out);
      }
      for (const k of shape.required ?? []) {
        if (rec[k] === undefined || rec[k] === null) out.push({ path: [...path, k], atKey: false, reason: 'required field is missing' });
      }
      return out;
    }
  }
}

/** `spec.selector.matchExpressions[0].key` */
export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}
