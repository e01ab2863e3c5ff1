/** metav1.Time: RFC 3339 with second precision, as Kubernetes and KubeVirt serialise timestamps. */
export function kubeNow(ms = Date.now()): string {
  // Many conditions and events are stamped within one second: format each second once.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';
