/**
 * Every VMI the default stages write must be a valid VirtualMachineInstance for KubeVirt: each
 * stage is rendered with real template functions on the golden inputs, its writes are applied as
 * the API server would, and the result is validated with ajv against KubeVirt v1.9.0's generated
 * openAPIV3Schema (the reference data's kubevirt/crds/schema/). Objects are walked until no stage
 * matches, so every intermediate state is checked too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { goYamlToJson } from '@virtsim/goformats';
import type { KubeObject } from '@virtsim/stages';
import { applyOwnWrites, goldenInputs, loadSet, readObject, renderContext, STAGES_DIR } from './stage-fixtures.ts';
import { referencePath } from '@virtsim/testkit/reference';

const SCHEMA_DIR = referencePath('kubevirt', 'crds', 'schema');

/** KubeVirt's OpenAPI v3 schema as an ajv validator (nullable and int-or-string as Kubernetes reads them). */
function compileKubeVirtSchema(file: string): ValidateFunction {
  const doc = goYamlToJson(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as { openAPIV3Schema: object };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  for (const f of ['double', 'float', 'byte', 'quantity']) ajv.addFormat(f, true);
  return ajv.compile(doc.openAPIV3Schema);
}

const validateVMI = compileKubeVirtSchema('virtualmachineinstance.openAPIV3Schema.yaml');

function problems(obj: unknown): string[] {
  return validateVMI(obj) ? [] : (validateVMI.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const set = loadSet('node', 'pod', 'vmi', 'vmim');
const vmiStages = set.stagesFor('kubevirt.io/v1', 'VirtualMachineInstance').map((s) => s.name);
const vmiInputs = [...goldenInputs('vmi'), ...goldenInputs('vmim')];

/** Chaos labels that send a Running VMI down another path, to reach every VMI stage from the inputs. */
const VARIANTS: Record<string, Record<string, string>> = {
  plain: {},
  crash: { 'vmi-crash.stage.virtsim.io': 'true' },
  shutdown: { 'vmi-shutdown.stage.virtsim.io': 'true' },
};

function withLabels(obj: KubeObject, labels: Record<string, string>): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, ...labels } } } as KubeObject;
}

describe('KubeVirt VMI schema', () => {
  it('rejects what KubeVirt would reject (the validator can fail)', () => {
    const vmi = readObject(path.join(STAGES_DIR, 'vmi/testdata/vmi-scheduled.input.yaml'));
    const broken = { ...vmi, status: { ...(vmi.status as object), conditions: [{ status: 'True' }], phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: '<Now>' }] } };
    expect(problems(broken)).toEqual(
      expect.arrayContaining(["/status/conditions/0 must have required property 'type'", '/status/phaseTransitionTimestamps/0/phaseTransitionTimestamp must match format "date-time"']),
    );
  });

  const reached = new Set<string>();

  describe.each(vmiInputs)('%s', (_name, file) => {
    it('is a valid VMI before and after every stage it goes through', () => {
      const input = readObject(file);
      expect(problems(input), 'golden input').toEqual([]);
      for (const [variant, labels] of Object.entries(VARIANTS)) {
        let obj = withLabels(input, labels);
        for (let i = 0; i < 6; i++) {
          const plan = set.plan(obj, renderContext());
          if (!plan) break;
          reached.add(plan.stage.name);
          const { obj: next, deleted } = applyOwnWrites(obj, plan.requests);
          expect(problems(next), `${variant}: after ${plan.stage.name}`).toEqual([]);
          if (deleted) break;
          obj = next;
          // A deletion while Running, as a VM stop does, once the VMI has started.
          if (plan.stage.name === 'vmi-running' && variant === 'plain') {
            obj = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: '2026-08-01T12:05:00Z' } } as KubeObject;
          }
        }
      }
    });
  });

  it('covers every VMI stage of the default set', () => {
    expect([...reached].sort()).toEqual([...vmiStages].sort());
  });
});
