export { startAgent, type AgentOptions, type RunningAgent } from './agent.ts';
export { runAgentCli, DEFAULT_STAGES } from './cli.ts';
export { NodePool, DEFAULT_POOL, type NodePoolConfig } from './node-pool.ts';
export { StageRunner } from './stage-runner.ts';
export { LeaseKeeper } from './lease-keeper.ts';
export { TimerQueue } from './timer-queue.ts';
