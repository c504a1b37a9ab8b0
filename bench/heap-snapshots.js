// The heap snapshot reader and the three-snapshot leak set on a big snapshot: a child builds a
// graph of N sessions in a Map (a third per round) and writes a snapshot after each round; each
// measurement then runs in its own child so that its peak RSS is its own. JSON.parse of the last
// file is the baseline (what a reader that loads the file whole does), in the same run.
// Usage: node bench/heap-snapshots.js [--objects 480000] [--keep]   (480000 → last snapshot ≈ 200 MB)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './lib/compare.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const objects = Number(arg('objects', '480000'));
const dir = mkdtempSync(join(tmpdir(), 'leakprof-heap-bench-'));
const files = [1, 2, 3].map((k) => join(dir, `${k}.heapsnapshot`));

const make = `
import { writeHeapSnapshot } from 'node:v8';
class Session { constructor(i) { this.id = i; this.user = 'user-' + i; this.tags = [i, i + 1]; this.meta = { created: i, kind: 'k' + (i % 100) }; } }
const keep = new Map();
const n = ${objects}, files = ${JSON.stringify(files)};
for (let r = 0; r < 3; r++) { for (let i = r * n / 3; i < (r + 1) * n / 3; i++) keep.set(i, new Session(i)); writeHeapSnapshot(files[r]); }
`;
const lib = (p) => pathToFileURL(join(root, 'dist', p)).href;
const measure = {
  full: `const { readSnapshot } = await import(${JSON.stringify(lib('analyse/heap/snapshot-reader.js'))}); const s = await readSnapshot(${JSON.stringify(files[2])}); return { nodes: s.nodeCount, edges: s.edgeCount };`,
  ids: `const { readSnapshotIds } = await import(${JSON.stringify(lib('analyse/heap/snapshot-reader.js'))}); const s = await readSnapshotIds(${JSON.stringify(files[2])}); return { nodes: s.nodeCount };`,
  jsonParse: `const { readFileSync } = await import('node:fs'); const j = JSON.parse(readFileSync(${JSON.stringify(files[2])}, 'utf8')); return { nodes: j.snapshot.node_count };`,
  findHeapLeaks: `const { findHeapLeaks } = await import(${JSON.stringify(lib('index.js'))}); const r = await findHeapLeaks(${JSON.stringify(files)}.map((file, i) => ({ file, label: String(i + 1) }))); return { total: r.total, top: r.groups[0] && r.groups[0].count + ' @ ' + r.groups[0].name };`,
};

function run(name) {
  const script = `const t = performance.now(); const out = await (async () => { ${measure[name]} })(); console.log(JSON.stringify({ ms: performance.now() - t, peakRssMB: process.resourceUsage().maxRSS / 1024, ...out }));`;
  const text = execFileSync(process.execPath, ['--max-old-space-size=8192', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(text);
}

try {
  const t = performance.now();
  execFileSync(process.execPath, ['--input-type=module', '-e', make], { stdio: 'inherit' });
  const sizesMB = files.map((f) => statSync(f).size / 1e6);
  console.log(`snapshots: ${sizesMB.map((s) => `${s.toFixed(0)} MB`).join(', ')} (written in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  const results = {};
  for (const name of ['full', 'ids', 'jsonParse', 'findHeapLeaks']) {
    try {
      results[name] = run(name);
    } catch (error) {
      results[name] = { error: String(error.message).split('\n')[0] };
    }
    const r = results[name];
    const mbps = name === 'findHeapLeaks' ? '' : r.ms ? `, ${(sizesMB[2] / (r.ms / 1000)).toFixed(0)} MB/s` : '';
    console.log(`${name.padEnd(14)} ${r.error ?? `${(r.ms / 1000).toFixed(2)} s${mbps}, peak RSS ${r.peakRssMB.toFixed(0)} MB`}`);
  }
  const major = process.versions.node.split('.')[0];
  const out = {
    node: process.version,
    objects,
    snapshotMB: sizesMB.map((s) => Math.round(s)),
    readFullMBps: Math.round(sizesMB[2] / (results.full.ms / 1000)),
    readIdsMBps: Math.round(sizesMB[2] / (results.ids.ms / 1000)),
    jsonParseMBps: results.jsonParse.ms ? Math.round(sizesMB[2] / (results.jsonParse.ms / 1000)) : null,
    results,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', `heap-snapshots-${major}.json`), `${JSON.stringify(out, null, 2)}\n`);
} finally {
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
