// The supervisor's edge cases: what the report says about processes that could not report themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

test('--timeout: a Node child killed before leakprof\'s preload ran is still in the report, with a note', async () => {
  // --require'd code runs before the --import preload: this child hangs before the collector starts.
  const stuck = './fixtures/supervise/stuck-before-preload.cjs';
  const { report, code } = await runLeakprof(['--timeout', '1s', '--grace', '500ms', '--', process.execPath, '--require', stuck, 'fixtures/cli/exit-3.mjs']);
  assert.equal(code, 124);
  assert.equal(report.outcome.kind, 'timeout');
  assert.equal(report.processes.length, 1, JSON.stringify(report.processes));
  const [proc] = report.processes;
  assert.ok(proc.pid > 0);
  assert.deepEqual(proc.argv, [process.execPath, '--require', stuck, 'fixtures/cli/exit-3.mjs']);
  assert.equal(proc.snapshot.reason, 'none');
  assert.equal(proc.blocked, true);
  assert.deepEqual(proc.profiles, []);
  assert.match(proc.notes.join('\n'), /killed before leakprof's collector started in it/);
});

test('--timeout: a non-Node command that never started Node gets no made-up process', async () => {
  const { report, code } = await runLeakprof(['--timeout', '1s', '--grace', '500ms', '--', 'sh', '-c', 'while :; do :; done']);
  assert.equal(code, 124);
  assert.deepEqual(report.processes, []);
});

test('--timeout: a workload that ends by itself while leakprof asks it for its last snapshot is not a timeout', async () => {
  const file = 'fixtures/supervise/ends-when-asked.mjs';
  const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
  assert.equal(code, 0, 'its own exit code, not 124');
  assert.equal(report.outcome.kind, 'exit');
  assert.equal(report.outcome.exitCode, 0);
  const [proc] = report.processes;
  assert.equal(proc.snapshot.reason, 'exit');
  assert.equal(proc.blocked, false);
});
