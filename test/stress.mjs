// `npm run test:stress`: the whole suite with two busy processes on the machine, as on a shared CI
// runner. A verdict that depends on the machine's speed shows up here as a failure.
// `node test/stress.mjs --runs 5` runs it five times in a row and stops at the first failure.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBusy } from './helpers/busy.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, busy: { type: 'string', default: '2' } } });
const runs = Number(values.runs);
const busy = Number(values.busy);

function testFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const files = testFiles('test').sort();
for (let run = 1; run <= runs; run++) {
  process.stderr.write(`== stress run ${run}/${runs}: the suite with ${busy} busy processes beside it\n`);
  const stop = startBusy(busy);
  const started = Date.now();
  // A test that starts busy processes of its own (the demo's) counts these, so the load is what it asks for, not twice that.
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit', env: { ...process.env, LEAKPROF_STRESS_BUSY: String(busy) } });
  stop();
  process.stderr.write(`== stress run ${run}/${runs}: exit ${result.status ?? result.signal} after ${Math.round((Date.now() - started) / 1000)} s\n`);
  if (result.status !== 0) process.exit(result.status ?? 1);
}
