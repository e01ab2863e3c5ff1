/** A kubeconfig for the server: its URL, its CA, and a bearer token. */
export function renderKubeconfig(o: { url: string; caPem?: string; token: string; name?: string }): string {
  const name = o.name ?? 'virtsim';
  const cluster = o.caPem
    ? `    certificate-authority-data: ${Buffer.from(o.caPem).toString('base64')}\n    server: ${o.url}\n`
    : `    server: ${o.url}\n`;
  return (
    `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n${cluster}  name: ${name}\n` +
    `contexts:\n- context:\n    cluster: ${name}\n    user: ${name}-admin\n  name: ${name}\ncurrent-context: ${name}\n` +
    `preferences: {}\nusers:\n- name: ${name}-admin\n  user:\n    token: ${o.token}\n`
  );
}
