#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
import { main } from '../src/index.ts';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`virtsim: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
