// `leakprof demo` and `leakprof load` end to end: the built-in workload runs as a real child under
// leakprof; the leaky variant is kept alive by its two leaked timers, located in the workload's
// TypeScript sources (through source maps), and the fixed variant exits by itself with nothing left.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withBusy } from './helpers/busy.js';
import { leakprofCli, ROOT } from './helpers/leakprof.js';

function lineOf(file, needle) {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `${needle} not found in ${file}`);
  return index + 1;
}

test('demo --json, with two busy processes beside it: leaky kept alive by its rotation and flush intervals at their source lines, fixed exits clean', async () => {
  // The verdicts must not depend on the machine's load: two processes spin on the cores meanwhile.
  const { code, stdout, stderr } = await withBusy(2, () => leakprofCli(['demo', '--duration', '2s', '--series', '1000', '--json']));
  assert.equal(code, 0, stderr);
  const { verdicts, reports } = JSON.parse(stdout);
  assert.deepEqual(verdicts.map((v) => v.variant), ['leaky', 'fixed']);
  const [leaky, fixed] = verdicts;

  const where = leaky.leakedHandles.map((g) => `${g.label} ${g.top.file}:${g.top.line}`).sort();
  assert.deepEqual(where, [
    `Timeout 250ms repeat src/workload/aggregator.ts:${lineOf('src/workload/aggregator.ts', 'this.flushTimer = setInterval(')}`,
    `Timeout 500ms repeat src/workload/labels-compressor-leaky.ts:${lineOf('src/workload/labels-compressor-leaky.ts', 'setInterval(')}`,
  ]);
  assert.equal(leaky.leaking, true);
  // How many labels each holds after 2 s depends on how many pushes the machine fitted in: not asserted.
  assert.equal(fixed.leaking, false, fixed.line);
  assert.deepEqual(fixed.leakedHandles, []);
  // The heap leak set names who holds the leaky compressor's labels; the fixed one evicts them.
  assert.ok(leaky.heapLeak, `no heap leak on the leaky side; notes: ${reports[0].processes[0].notes.join(' | ')}`);
  assert.match(leaky.heapLeak.heldBy, /LeakyLabelsCompressor → \.labelToIdx: Map/);
  assert.match(leaky.heapLeak.name, /string/);
  assert.equal(fixed.heapLeak, undefined, JSON.stringify(fixed.heapLeak));
  assert.equal(reports[0].outcome.kind, 'timeout');
  assert.equal(reports[1].outcome.kind, 'exit');
  assert.match(stderr, /verdict/);
});

test('load --variant fixed prints the memory trend and a clean verdict line', async () => {
  const { code, stderr } = await leakprofCli(['load', '--variant', 'fixed', '--duration', '1500ms', '--series', '500']);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /memory: heap after GC .* → /);
  assert.match(stderr, /^fixed: .*exited by itself, 0 leaked handles/m);
});

test('load rejects a bad --churn with one line', async () => {
  const { code, stderr } = await leakprofCli(['load', '--churn', 'fast']);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /--churn takes a rate such as 2000\/s/);
});
