export interface Command {
  summary: string;
  run(argv: string[]): Promise<number | void>;
}

/** The subcommands; each entry imports its service lazily. */
export const commands: Record<string, Command> = {
  apiserver: {
    summary: 'run the embedded Kubernetes-compatible API server',
    async run(argv) {
      const { runApiServer } = await import('@virtsim/apiserver');
      return runApiServer(argv);
    },
  },
  agent: {
    summary: 'a node agent: keeps the fake nodes of its slots alive and plays their objects through the stages',
    async run(argv) {
      const { runAgentCli } = await import('@virtsim/node-agent');
      return runAgentCli(argv);
    },
  },
  watcher: {
    summary: 'list+watch nodes, pods, VMIs and migrations and fan them out over NATS by slot',
    async run(argv) {
      const { runWatcherCli } = await import('@virtsim/watcher');
      return runWatcherCli(argv);
    },
  },
  coordinator: {
    summary: 'serve agent membership and the slot table over gRPC',
    async run(argv) {
      const { runCoordinator } = await import('@virtsim/coordinator');
      return runCoordinator(argv);
    },
  },
  up: {
    summary: 'run the whole simulated cluster on this machine (embedded API server, NATS, coordinator, watcher, agents, stand-ins)',
    async run(argv) {
      const { runUpCli } = await import('@virtsim/supervisor');
      return runUpCli(argv);
    },
  },
  secrets: {
    summary: 'print the Secrets deploy/ mounts (a fresh NATS token, CA and certificates) for kubectl apply -f -',
    async run(argv) {
      const { runDeploySecretsCli } = await import('@virtsim/supervisor');
      return runDeploySecretsCli(argv);
    },
  },
  'control-plane': {
    summary: 'stand-ins for kube-scheduler, virt-api and virt-controller where the cluster has none',
    async run(argv) {
      const { runControlPlaneCli } = await import('@virtsim/control-plane');
      return runControlPlaneCli(argv);
    },
  },
  loadtest: {
    summary: 'create VMIs or VMs at a rate, play churn/migration/node-failure/drain phases, report kube-burner latencies and an HTML report',
    async run(argv) {
      const { runLoadtestCli } = await import('@virtsim/loadtest');
      return runLoadtestCli(argv);
    },
  },
  trace: {
    summary: "show a VMI's life as a waterfall (phases, who ended them, the fleet's spans), or the slowest VMIs of a run",
    async run(argv) {
      const { runTraceCli } = await import('@virtsim/telemetry/trace');
      return runTraceCli(argv);
    },
  },
  version: {
    summary: 'print the virtsim and Node.js versions',
    async run() {
      process.stdout.write(`virtsim 0.1.0 (node ${process.version})\n`);
      return 0;
    },
  },
  stages: {
    summary: 'validate KWOK stage files, explain the plan for an object',
    async run(argv) {
      const { runStagesCommand } = await import('@virtsim/stages/cli');
      return runStagesCommand(argv);
    },
  },
};
