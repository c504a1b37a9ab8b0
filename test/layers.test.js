// The stages' imports run one way (docs/how-it-works.md, "Layout"): the collector in the child
// writes through transport; the parent's supervise starts and ends processes; analyse turns what
// transport carried into a report; report writes it; check judges; commands are thin on top.
// The public schema (src/report/schema.ts) stands alone and anyone may use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { ROOT } from './helpers/leakprof.js';

const SRC = join(ROOT, 'src');
const SCHEMA = 'report/schema.ts';
/** Entry points, like src/cli.ts: the child's preload and `--import leakprof/register` start the endpoint when asked. */
const ENTRIES = new Set(['collect/preload.ts', 'check/register.ts']);

/** What each stage may import, besides itself, util and the schema. */
const MAY_IMPORT = {
  util: [],
  transport: [],
  // index.ts: jest's hook hands the test file leakprof's public API, loaded outside jest's vm.
  collect: ['transport', 'index.ts'],
  workload: ['collect'],
  supervise: ['transport'],
  // A run: supervise's processes, analyse's report (the library's run(), and the built-in load's).
  run: ['transport', 'supervise', 'analyse', 'report', 'workload'],
  analyse: ['transport', 'collect/frame-owner.ts'],
  report: ['analyse', 'transport'],
  check: ['collect', 'transport', 'supervise', 'run', 'analyse', 'report', 'workload'],
  commands: ['collect', 'transport', 'supervise', 'run', 'analyse', 'report', 'check', 'workload', 'live'],
  // The endpoint in a running process: the in-process API (check/in-process) read over HTTP.
  live: ['collect', 'transport', 'analyse', 'report', 'check'],
};

function sources(dir = SRC) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.c?ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

function stageOf(rel) {
  const [first, ...rest] = rel.split('/');
  return rest.length === 0 ? '(top)' : first;
}

export function violations() {
  const out = [];
  for (const file of sources()) {
    const from = relative(SRC, file);
    const stage = stageOf(from);
    if (stage === '(top)' || from === SCHEMA || ENTRIES.has(from)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(SRC, normalize(join(dirname(file), m[1]))).replace(/\.c?js$/, (ext) => (ext === '.cjs' ? '.cts' : '.ts'));
      const to = stageOf(target);
      if (to === stage || to === 'util' || target === SCHEMA) continue;
      const allowed = MAY_IMPORT[stage];
      assert.ok(allowed, `${from}: stage "${stage}" has no rule in test/layers.test.js`);
      if (allowed.includes(to) || allowed.includes(target)) continue;
      out.push(`${from} imports ${target}`);
    }
  }
  return out;
}

test('every import runs in the direction of the stages', () => {
  assert.deepEqual(violations(), []);
});

test('commands import no other command: shared flags live in one module', () => {
  const out = [];
  for (const file of sources(join(SRC, 'commands'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from\s*'\.\/([^']+)'/g)) {
      if (!/^(options|output)\.js$/.test(m[1])) out.push(`${relative(SRC, file)} imports commands/${m[1]}`);
    }
  }
  assert.deepEqual(out, []);
});
