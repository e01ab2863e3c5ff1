/** explainPlan output details beyond KWOK's own pairs: events, impersonation, apply, immediate, several stages. */
import { describe, expect, it } from 'vitest';
import { explainPlan } from './explain.ts';
import { parseStageText } from './files.ts';

const header = (name: string, spec: string) => `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef:
    apiGroup: kubevirt.io/v1
    kind: VirtualMachineInstance
${spec}`;

describe('explainPlan', () => {
  it('lists every stage Match could pick, with weights, delays, events, impersonation, apply and immediate', () => {
    const set = parseStageText(
      [
        header(
          'crash',
          `  selector:
    matchLabels: {chaos: crash}
  weight: 10000
  delay:
    durationMilliseconds: 1000
    jitterDurationMilliseconds: 3000
  immediateNextStage: true
  steps:
  - event: {type: Warning, reason: Crashed, message: "guest crashed"}
  - patch:
      root: status
      subresource: status
      type: json
      template: |
        - op: replace
          path: /phase
          value: Failed
      impersonation:
        username: system:serviceaccount:kubevirt:kubevirt-handler
  - apply:
      template: |
        apiVersion: v1
        kind: Event
        metadata:
          name: {{ .metadata.name }}-crash
`,
        ),
        header('chaos-too', `  selector:\n    matchLabels: {chaos: crash}\n  weight: 1\n  next:\n    delete: true\n`),
        header('normal', `  selector: {}\n  next:\n    delete: true\n`),
      ].join('---\n'),
    );
    const out = explainPlan(set, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'v', labels: { chaos: 'crash' } } });
    expect(out).toBe(`apiGroup: kubevirt.io/v1
kind: VirtualMachineInstance
name: v
stages:
- delay:
  - 1000000000
  - 3000000000
  next:
  - kind: event
    message: guest crashed
    reason: Crashed
    type: Warning
  - data:
    - op: replace
      path: /status/phase
      value: Failed
    impersonation: system:serviceaccount:kubevirt:kubevirt-handler
    kind: patch
    subresource: status
    type: application/json-patch+json
  - data:
      apiVersion: v1
      kind: Event
      metadata:
        name: v-crash
    kind: apply
    type: application/apply-patch+yaml
  - kind: immediate
  stage: crash
  weight: 10000
- next:
  - kind: delete
  stage: chaos-too
  weight: 1
`);
  });

  it('prints an empty stage list when nothing matches', () => {
    const set = parseStageText(header('x', '  selector:\n    matchLabels: {a: b}\n'));
    expect(explainPlan(set, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'v', namespace: 'ns' } })).toBe(
      'apiGroup: kubevirt.io/v1\nkind: VirtualMachineInstance\nname: v\nnamespace: ns\nstages: []\n',
    );
  });
});
