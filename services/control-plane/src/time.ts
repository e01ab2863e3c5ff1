/** metav1.Time: RFC 3339 with second precision, as Kubernetes and KubeVirt serialise timestamps. */
export const kubeNow = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
