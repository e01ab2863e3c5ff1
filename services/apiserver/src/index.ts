export { startApiServer, type ApiServer, type ApiServerOptions } from './server.ts';
export { renderKubeconfig } from './kubeconfig.ts';
export { KUBEVIRT_SERVICE_ACCOUNTS, RESTRICTED_VMI_LABELS } from './kubevirt-admission.ts';
export type { UserInfo, TokenEntry } from './auth.ts';
export { runApiServer } from './main.ts';
