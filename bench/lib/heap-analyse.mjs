// One analysis of three heap snapshots, in a process of its own so that its peak RSS is its own:
//   node heap-analyse.mjs <leakprof|memlab> <baseline> <target> <final>
// Prints one JSON line: analysis ms (after the tool's modules are loaded), peak RSS, what was found.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const [tool, ...files] = process.argv.slice(2);
const require = createRequire(import.meta.url);
let found;
let started;
if (tool === 'leakprof') {
  const { findHeapLeaks } = await import('../../dist/index.js');
  started = performance.now();
  const report = await findHeapLeaks(files.map((file) => ({ file, label: basename(file) })));
  const g = report.groups[0];
  found = { leaked: report.total, top: g ? `${g.count} @ ${g.name}${g.chain ? ` in a chain through .${g.chain.edge}` : ''}${g.collection ? ` in one ${g.collection.name}` : ''}` : null };
} else if (tool === 'memlab') {
  const { findLeaksBySnapshotFilePaths } = require('@memlab/api');
  const workDir = mkdtempSync(join(tmpdir(), 'memlab-bench-'));
  started = performance.now();
  try {
    const traces = await findLeaksBySnapshotFilePaths(files[0], files[1], files[2], { consoleMode: 'SILENT', workDir });
    found = { traces: traces.length };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
} else {
  throw new Error(`unknown tool ${tool}: leakprof or memlab`);
}
const analysisMs = Math.round(performance.now() - started);
process.stdout.write(`${JSON.stringify({ analysisMs, maxRssKB: process.resourceUsage().maxRSS, ...found })}\n`);
