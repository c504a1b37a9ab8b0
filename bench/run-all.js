// `npm run bench`: every benchmark in turn; each writes its JSON under bench/results/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
let failed = 0;
for (const script of ['handles.js', 'promises.js', 'workload.js', 'check.js', 'side-by-side.js', 'attribution-cost.js', 'heap-snapshots.js', 'heap.js', 'live-endpoint.js']) {
  if (!existsSync(here + script)) continue;
  console.log(`\n== bench/${script}`);
  const { status } = spawnSync(process.execPath, [here + script, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
