import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${REPO}packages/cli/bin/virtsim.ts`;

async function render(dir: string): Promise<any[]> {
  const { stdout } = await run('kubectl', ['kustomize', `${REPO}deploy/${dir}`]);
  return parseAllDocuments(stdout).map((d) => d.toJS());
}

async function help(command: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, command, '--help']);
  return stdout;
}

describe('deploy manifests', () => {
  for (const overlay of ['base', 'overlays/large']) {
    it(`${overlay}: every virtsim container runs a real subcommand with flags it knows`, async () => {
      const objs = await render(overlay);
      const containers = objs
        .filter((o) => o.kind === 'Deployment')
        .flatMap((d) => d.spec.template.spec.containers as Array<{ image: string; args: string[] }>)
        .filter((c) => c.image.startsWith('virtsim'));
      expect(containers.map((c) => c.args[0]).sort()).toEqual(['agent', 'coordinator', 'watcher']);
      for (const c of containers) {
        const text = await help(c.args[0]!);
        const unknown = c.args.filter((a) => a.startsWith('--') && !text.includes(`${a} `));
        expect(unknown, `${c.args[0]} flags missing from its --help`).toEqual([]);
      }
    });
  }

  it('binds the agents and the watcher to the service account that holds the rights', async () => {
    const objs = await render('base');
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding');
    const sa = binding.subjects[0];
    for (const d of objs.filter((o) => o.kind === 'Deployment' && /watcher|agent/.test(o.metadata.name))) {
      expect(d.spec.template.spec.serviceAccountName).toBe(sa.name);
      expect(d.metadata.namespace).toBe(sa.namespace);
    }
    const role = objs.find((o) => o.kind === 'ClusterRole');
    const impersonate = role.rules.find((r: { verbs: string[]; resources: string[] }) => r.verbs.includes('impersonate') && r.resources.includes('serviceaccounts'));
    expect(impersonate.resourceNames).toContain('kubevirt-controller');
  });
});
