/**
 * How a kubeconfig names a Unix socket: `unix://` and the path, each segment percent-encoded (so a
 * space, `#` or `%` in it survives URL parsing). Only virtsim reads such a kubeconfig: the embedded
 * API server writes one for its socket, and its client connects through it.
 */

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;

export function unixSocketUrl(path: string): string {
  return `unix://${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The socket path of a `unix://` URL; undefined for any other scheme. */
export function unixSocketPath(url: URL): string | undefined {
  return url.protocol === 'unix:' ? decodeURIComponent(url.pathname) : undefined;
}
