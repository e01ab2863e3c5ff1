export { startWatcher, type RunningWatcher, type WatcherOptions } from './watcher.ts';
export { runWatcherCli } from './cli.ts';
export { Fanout } from './fanout.ts';
export { partitionNode } from './partition.ts';
