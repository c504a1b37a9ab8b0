// Runs a fixture's rounds in this (child) process and writes a heap snapshot between them, the
// way memlab takes baseline / target / final: warm-up round, snapshot 1, round, snapshot 2,
// round, snapshot 3. Prints the three paths as JSON on stdout.
// Usage: node heap-driver.mjs <fixture.mjs> <out dir> [connections per round]
import { writeHeapSnapshot } from 'node:v8';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [fixture, outDir, per = '500'] = process.argv.slice(2);
const { round } = await import(pathToFileURL(resolve(fixture)).href);
const n = Number(per);
const files = [];
const snap = (label) => files.push({ file: writeHeapSnapshot(join(outDir, `${label}.heapsnapshot`)), label, uptimeMs: Math.round(process.uptime() * 1000) });

round(n, 0);
snap('1-baseline');
round(n, n);
snap('2-target');
round(n, 2 * n);
snap('3-final');
process.stdout.write(`${JSON.stringify(files)}\n`);
