import { describe, expect, it } from 'vitest';
import { staticKubeconfig } from './static-kubeconfig.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(cluster: string, user: string): string {
  return `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n${cluster}  name: c\ncontexts:\n- context:\n    cluster: c\n    user: u\n  name: ctx\ncurrent-context: ctx\nusers:\n- name: u\n  user:\n${user}`;
}

describe('staticKubeconfig', () => {
  it("reads the kubeconfig `up` writes (server, CA data, token) as client-node would", () => {
    const got = staticKubeconfig(kubeconfig(`    certificate-authority-data: ${b64('CA PEM')}\n    server: https://127.0.0.1:6443/\n`, '    token: secret\n'));
    expect(got).toEqual({
      server: 'https://127.0.0.1:6443',
      tls: { ca: Buffer.from('CA PEM'), cert: undefined, key: undefined, rejectUnauthorized: undefined, servername: undefined },
      headers: { Authorization: 'Bearer secret' },
    });
  });

  it('reads client certificates, insecure-skip-tls-verify and tls-server-name', () => {
    const got = staticKubeconfig(
      kubeconfig('    server: https://api:6443\n    insecure-skip-tls-verify: true\n    tls-server-name: kubernetes\n', `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}\n`),
    );
    expect(got?.tls).toEqual({ ca: undefined, cert: Buffer.from('CERT'), key: Buffer.from('KEY'), rejectUnauthorized: false, servername: 'kubernetes' });
    expect(got?.headers).toEqual({});
  });

  it.each([
    ['a CA file', kubeconfig('    server: https://api\n    certificate-authority: ca.crt\n', '    token: t\n')],
    ['a proxy', kubeconfig('    server: https://api\n    proxy-url: http://proxy\n', '    token: t\n')],
    ['an exec plugin', kubeconfig('    server: https://api\n', '    exec:\n      command: get-token\n')],
    ['a token file', kubeconfig('    server: https://api\n', '    token-file: /var/run/token\n')],
    ['impersonation', kubeconfig('    server: https://api\n', '    token: t\n    as: someone\n')],
    ['a numeric token', kubeconfig('    server: https://api\n', '    token: 12345\n')],
    ['no current context', 'apiVersion: v1\nkind: Config\nclusters: []\n'],
    ['not YAML', '{ this is not: [yaml'],
  ])('leaves %s to client-node', (_what, text) => {
    expect(staticKubeconfig(text)).toBeUndefined();
  });
});
