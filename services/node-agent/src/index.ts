export { Agent, startAgent, agentConfig, type AgentConfig, type AgentOptions, type RunningAgent } from './agent.ts';
export { SlotOwnership, type SlotFeed, type SlotNodes, type SlotObjects, type SlotOwnershipOptions } from './slot-ownership.ts';
export { runAgentCli, DEFAULT_STAGES } from './cli.ts';
export { NodePool, DEFAULT_POOL, type NodePoolConfig } from './node-pool.ts';
export { StageRunner } from './stage-runner.ts';
export { LeaseKeeper } from './lease-keeper.ts';
export { TimerQueue } from './timer-queue.ts';
