export { runLoadtestCli } from './cli.ts';
export { runLoadtest, type LoadtestOptions, type LoadtestOutcome } from './run.ts';
export { loadConfig, resolveConfig, type LoadtestConfig, type PhaseSpec, type ConfigOverrides } from './config.ts';
export { LoadtestInputError } from './errors.ts';
export type { Report } from './report.ts';
export type { QuantileSummary } from './quantiles.ts';
export { startEmbeddedCluster, type EmbeddedCluster, type EmbeddedClusterOptions } from './embedded-cluster.ts';
export { ProcessStats, type WatchedProcess } from './process-stats.ts';
