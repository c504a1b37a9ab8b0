#!/usr/bin/env node
import { main } from '../dist/cli.js';

// `leakprof … | head`: a reader that stops early is not an error of leakprof's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`leakprof: ${err && err.message ? err.message : err}\n`);
    if (process.env.LEAKPROF_VERBOSE && err && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  },
);
