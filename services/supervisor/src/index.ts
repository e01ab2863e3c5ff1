export { up, UpError, DEFAULT_CRDS, DEFAULT_STAGES, type UpOptions, type RunningFleet } from './up.ts';
export { runUpCli } from './cli.ts';
export { FleetSupervisor } from './fleet-supervisor.ts';
export { ManagedChild, ChildStartError, type ChildSpec } from './managed-child.ts';
export { runDeploySecretsCli, deploySecrets, DEPLOY_SECRETS } from './deploy-secrets.ts';
