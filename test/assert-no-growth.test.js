// assertNoGrowth(fn, { iterations }) in the four runners, without leakprof's CLI: each suite of
// fixtures/suites/no-growth/ has a session cache that never evicts (the test must fail with one
// line naming Session, the variable `sessions`, its Map and the line declaring it) and two clean
// functions (5,000 objects of garbage per call; a pool that fills over 16 calls, longer than the
// warm-up) that must pass. Each run is a real runner in a child; its own output is read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { assertNoGrowth, LeakError } from 'leakprof';
import { markerLine, ROOT } from './helpers/leakprof.js';

const S = 'fixtures/suites/no-growth';
const BIN = 'node_modules/.bin';

/** A runner's command in the repository root, with a clean environment: exit code and output. */
function runIn(command) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: '1' };
    for (const name of ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'FORCE_COLOR']) delete env[name];
    const [bin, ...args] = command;
    const child = spawn(bin === 'node' ? process.execPath : bin, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const RUNNERS = [
  { name: 'node:test', file: `${S}/node-test.test.mjs`, command: ['node', '--test', '--test-reporter=tap'], counts: [/^# pass 2$/m, /^# fail 1$/m] },
  { name: 'mocha', file: `${S}/mocha.spec.cjs`, command: [`${BIN}/mocha`, '--timeout', '300000'], counts: [/^\s*2 passing\b/m, /^\s*1 failing$/m] },
  { name: 'jest', file: `${S}/jest.test.cjs`, command: [`${BIN}/jest`, '-c', `${S}/jest.config.cjs`], counts: [/^Tests:\s+1 failed, 3 passed, 4 total$/m] },
  { name: 'vitest', file: `${S}/vitest.test.mjs`, command: [`${BIN}/vitest`, 'run', '-c', `${S}/vitest.config.mjs`], counts: [/Tests\s+1 failed \| 2 passed \(3\)/] },
  // In a worker thread: its own heap is snapshotted, and GC forced there.
  { name: 'vitest --pool threads', file: `${S}/vitest.test.mjs`, command: [`${BIN}/vitest`, 'run', '-c', `${S}/vitest.config.mjs`, '--pool', 'threads'], counts: [/Tests\s+1 failed \| 2 passed \(3\)/] },
];

describe('assertNoGrowth in each runner', { concurrency: 2 }, () => {
  for (const runner of RUNNERS) {
    test(`${runner.name}: the leaky cache fails naming Session, sessions (Map) and its line; garbage and a warming pool pass`, { timeout: 600_000 }, async () => {
      const { code, output } = await runIn([...runner.command, runner.file]);
      assert.equal(code, 1, `the runner fails the leaky test\n${output}`);
      const line = markerLine(runner.file, 'HOLDER');
      const expected = new RegExp(`leak: \\+1 Session per iteration \\(30 iterations, \\+[\\d.]+K?B\\): held by sessions \\(Map\\) declared at ${runner.file.replace(/\./g, '\\.')}:${line}\\b`);
      assert.match(output, expected);
      assert.match(output, /LeakError/);
      for (const count of runner.counts) assert.match(output, count, `one test fails (the leaky one), the clean ones pass\n${output}`);
    });
  }
});

/** This process's assertNoGrowth snapshot folders in the temporary directory (other processes, other suites, may have theirs). */
const snapshotDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`leakprof-assert-${process.pid}-`));

test('in this process: a clean function resolves with how the heap moved; a leak throws a LeakError carrying .growth and .groups', { timeout: 600_000 }, async () => {
  const dirsBefore = snapshotDirs();
  const result = await assertNoGrowth(() => JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ i }))).length, { iterations: 12 });
  assert.equal(result.iterations, 12);
  assert.ok(result.calls >= 12 + result.warmup, 'warm-up and judged calls were all made');
  assert.equal(result.heapUsed.length, result.atCall.length);

  class Ticket {
    constructor(i) {
      this.i = i;
    }
  }
  const tickets = []; // KEPT
  const error = await assertNoGrowth((i) => tickets.push(new Ticket(i)), { iterations: 20 }).then(
    (g) => assert.fail(`a Ticket per call must throw: ${g.why} ${g.heapUsed.map((h, i) => (i ? h - g.heapUsed[i - 1] : 0)).join(' ')}`),
    (e) => e,
  );
  assert.ok(error instanceof LeakError, String(error));
  assert.match(error.message, new RegExp(`^leak: \\+1 Ticket per iteration \\(20 iterations, \\+[\\d.]+K?B\\): held by tickets \\(Array\\) declared at test/assert-no-growth\\.test\\.js:${markerLine('test/assert-no-growth.test.js', 'KEPT')}`));
  assert.equal(error.message.includes('\n'), false, 'one line');
  assert.equal(error.groups[0].name, 'Ticket');
  assert.equal(error.groups[0].perIteration, 1);
  assert.equal(error.groups[0].counts[1] - error.groups[0].counts[0], 20, 'twenty more Tickets between snapshots twenty calls apart');
  assert.equal(error.growth.snapshots, true);
  assert.equal(error.leaks[0].kind, 'heap-growth');
  assert.equal(error.verdict.status, 'leak');
  assert.deepEqual(snapshotDirs().filter((d) => !dirsBefore.includes(d)), [], 'the snapshots and their folder are deleted');
});

test('in this process: a big Buffer kept every fifth call is caught by its bytes (the heap\'s external memory), not missed as a rare step', { timeout: 600_000 }, async () => {
  const kept = []; // BUFFERS
  const error = await assertNoGrowth(
    (i) => {
      if (i % 5 === 0) kept.push(Buffer.alloc(1 << 20, 1));
      return Buffer.alloc(50_000).length; // garbage of the same kind, freed
    },
    { iterations: 30 },
  ).then(
    (growth) => assert.fail(`a 1 MB Buffer every fifth call must throw; it passed: ${growth.why} (heap after GC: ${growth.heapUsed.map((b) => Math.round(b / 1024)).join(' ')} KB)`),
    (e) => e,
  );
  assert.ok(error instanceof LeakError, String(error));
  assert.match(error.message, new RegExp(`^leak: \\+0\\.2 Buffer per iteration \\(30 iterations, \\+[\\d.]+MB\\): held by kept \\(Array\\) declared at test/assert-no-growth\\.test\\.js:${markerLine('test/assert-no-growth.test.js', 'BUFFERS')}$`));
  assert.ok(error.groups[0].retainedBytes >= 6 * (1 << 20), `six 1 MB Buffers between snapshots 30 calls apart: ${error.groups[0].retainedBytes}`);
});

test('in this process: a small leak is caught when something else lets go of more than its whole rise mid-series (a runner releasing a start-up read, as jest does on a busy machine)', { timeout: 600_000 }, async () => {
  // ~100 KB the "runner" holds from before the calls and drops at call 24: the middle of the first
  // judged series (warm-up 10, then 30 calls in 15 rounds). Mann–Kendall alone saw every pair
  // across that fall as a fall and passed the leak.
  let runnerCache = Array.from({ length: 2000 }, (_, i) => ({ i, name: `entry ${i}` }));
  class Order {
    constructor(i) {
      this.i = i;
    }
  }
  const orders = new Map(); // ORDERS
  const error = await assertNoGrowth(
    (i) => {
      if (i === 24) runnerCache = null;
      orders.set(i, new Order(i));
    },
    { iterations: 30 },
  ).then(
    (growth) => assert.fail(`an Order per call must throw; it passed: ${growth.why} (heap after GC, steps: ${growth.heapUsed.map((b, k) => (k ? b - growth.heapUsed[k - 1] : 0)).join(' ')})`),
    (e) => e,
  );
  assert.equal(runnerCache, null, 'the release happened');
  assert.ok(error instanceof LeakError, String(error));
  assert.match(error.message, new RegExp(`^leak: \\+1 Order per iteration \\(30 iterations, \\+[\\d.]+K?B\\): held by orders \\(Map\\) declared at test/assert-no-growth\\.test\\.js:${markerLine('test/assert-no-growth.test.js', 'ORDERS')}$`));
});

test('bad input is one clear error; an error fn throws is rethrown as it is', async () => {
  await assert.rejects(assertNoGrowth(() => {}, { iterations: 2 }), { name: 'RangeError', message: 'assertNoGrowth: iterations must be an integer of at least 6, got 2' });
  await assert.rejects(assertNoGrowth(() => {}, { warmup: -1 }), { name: 'RangeError', message: 'assertNoGrowth: warmup must be an integer of at least 0, got -1' });
  await assert.rejects(assertNoGrowth('handler'), { name: 'TypeError', message: 'assertNoGrowth: the first argument must be a function, got string' });
  const boom = new Error('boom');
  await assert.rejects(
    assertNoGrowth((i) => {
      if (i === 3) throw boom;
    }),
    (e) => e === boom,
  );
});
