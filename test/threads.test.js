// Worker threads are processes' equals: each thread is a section of its own, check judges what
// is inside it (the line in the worker's file), and a Worker says what keeps it alive inside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markerLine, UNTIL_IDLE, leakprofCli } from './helpers/leakprof.js';
import { checkJson } from './helpers/check.js';

const WORKER = 'fixtures/worker-pool/worker.mjs';

test('an interval inside each of 4 pool workers: check names the line inside the worker, each thread its own section', async () => {
  const line = markerLine(WORKER, 'LEAK');
  const { code, report, verdict } = await checkJson([...UNTIL_IDLE, 'fixtures/worker-pool/leaky.mjs']);
  // The workers keep the process alive: it hangs (ended when idle), and the leaks are listed.
  assert.equal(code, 124, JSON.stringify(verdict.violations));
  const inside = verdict.violations.find((v) => v.type === 'Timeout');
  assert.ok(inside, JSON.stringify(verdict.violations));
  assert.equal(`${inside.location.file}:${inside.location.line}`, `${WORKER}:${line}`);
  assert.equal(inside.count, 4);
  assert.deepEqual(inside.threads.length, 4);
  assert.match(inside.message, /\(in threads \d+, \d+, \d+, \d+, Workers made at [^)]+\) — clearInterval it/);
  // One leak, one line: the Workers are named in it (where they were made), not again as a line of their own.
  assert.match(inside.message, new RegExp(`\\(in threads \\d+, \\d+, \\d+, \\d+, Workers made at fixtures/worker-pool/leaky\\.mjs:${markerLine('fixtures/worker-pool/leaky.mjs', 'POOL')}\\)`));
  assert.ok(!verdict.violations.some((v) => v.type === 'WORKER'), JSON.stringify(verdict.violations));
  const worker = verdict.excluded.find((e) => e.type === 'WORKER');
  assert.equal(worker?.why, 'inside', JSON.stringify(verdict.excluded));
  assert.equal(worker.count, 4);
  // The WORKER group itself still says what keeps it alive inside (the report's grouped stacks).
  const group = report.processes[0].profiles.find((p) => p.name === 'handles').groups.find((g) => g.type === 'WORKER');
  assert.match(group.hint, new RegExp(`kept alive by 1 × Timeout 1000ms repeat at ${WORKER.replace(/[.]/g, '\\.')}:${line} inside each`));

  const threads = report.processes.filter((p) => p.thread);
  assert.equal(threads.length, 4, JSON.stringify(report.processes.map((p) => p.thread ?? p.argv)));
  for (const t of threads) {
    assert.equal(t.thread.file, WORKER);
    assert.equal(t.thread.status, 'running');
    assert.equal(t.thread.parent, 0);
    assert.ok(t.memory.heapUsed > 0);
    assert.ok(t.profiles.some((p) => p.name === 'handles'));
  }
  // Threads come right after their process.
  assert.equal(report.processes[0].thread, undefined);
});

test('the text report heads each thread `== pid N thread M: worker <file>`', async () => {
  const { stderr } = await leakprofCli(['run', ...UNTIL_IDLE, 'fixtures/worker-pool/leaky.mjs']);
  const heads = stderr.split('\n').filter((l) => /^== pid \d+ thread \d+: worker fixtures\/worker-pool\/worker\.mjs \(snapshot /.test(l));
  assert.equal(heads.length, 4, stderr);
  assert.ok(heads.every((h) => h.includes('still running at the end')), heads.join('\n'));
  // process.getActiveResourcesInfo() never lists a Worker: its count is no cross-check of the four tracked.
  assert.match(stderr, /^4 @ WORKER ref /m);
  assert.doesNotMatch(stderr, /cross-check: WORKER/);
});

test('clean twins: workers that stop by themselves (interval unref\'d by design), and workers terminated by their pool', async () => {
  const stopped = await checkJson([...UNTIL_IDLE, 'fixtures/worker-pool/fixed.mjs']);
  assert.equal(stopped.code, 0, JSON.stringify(stopped.verdict.violations));
  const terminated = await checkJson([...UNTIL_IDLE, 'fixtures/worker-pool/fixed-terminate.mjs']);
  assert.equal(terminated.code, 0, JSON.stringify(terminated.verdict.violations));
  // A terminated thread is reported as ended, never judged.
  for (const t of terminated.report.processes.filter((p) => p.thread)) assert.equal(t.thread.status, 'ended');
});

for (const pool of ['threads', 'vmThreads']) test(`vitest's ${pool} pool: a leak inside a test thread is named with its test and line; the clean file passes`, async () => {
  const S = 'fixtures/suites/vitest';
  // vitest prints to stdout: the report goes to a file.
  const vitest = async (file) => {
    const dir = mkdtempSync(join(tmpdir(), 'leakprof-threads-'));
    try {
      const out = join(dir, 'report.json');
      const args = ['check', '--idle', '12s', '--timeout', '120s', '-o', out, '--', 'node_modules/.bin/vitest', 'run', '-c', `${S}/vitest.config.mjs`, '--pool', pool, `${S}/${file}`];
      const result = await leakprofCli(args);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      return { ...result, report, verdict: report.verdict };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const leaky = await vitest('leaky.test.mjs');
  assert.equal(leaky.code, 1, leaky.stderr);
  assert.equal(leaky.verdict.violations.length, 1, JSON.stringify(leaky.verdict.violations));
  const [v] = leaky.verdict.violations;
  assert.equal(`${v.location.file}:${v.location.line}`, `${S}/leaky.test.mjs:${markerLine(`${S}/leaky.test.mjs`, 'LEAK')}`);
  assert.equal(v.test, 'server > reconnects');
  assert.equal(v.threads?.length, 1);
  // Its runner terminated the thread once its tests ran: its last snapshot was asked for first.
  const thread = leaky.report.processes.find((p) => p.thread && p.thread.id === v.threads[0]);
  assert.equal(thread.snapshot.signal, 'terminate()');
  assert.equal((await vitest('clean.test.mjs')).code, 0);
});
