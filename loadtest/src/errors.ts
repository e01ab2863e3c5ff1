/**
 * Bad input: a config, flag or template that cannot run, or a cluster that cannot take the run.
 * Found before anything is created; the CLI prints the message in one line and exits 2.
 */
export class LoadtestInputError extends Error {
  override readonly name = 'LoadtestInputError';
}
