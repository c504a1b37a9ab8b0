// Per-test attribution end to end: `leakprof check -- <runner>` on the example suites of
// fixtures/suites/ (node:test, mocha, jest, vitest), and the per-test peer scenarios.
// Each run spawns the real runner under leakprof and reads the real JSON verdict.
//
// The leaky suites use their runner's usual CI flag that ends the process after the
// tests (node --test-force-exit, mocha --exit, jest --forceExit; vitest ends its workers
// itself): without it a leaked server keeps the runner alive, and check would report a
// hang (exit 124) after --timeout instead of the leak at exit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkToFile } from './helpers/check.js';
import { markerLine, ROOT, spawnCollect } from './helpers/leakprof.js';

const S = 'fixtures/suites';
const BIN = 'node_modules/.bin';
const at = (file, marker) => `${file}:${markerLine(file, marker)}`;

/** `leakprof check -o report.json -- <command>` (in `cwd`, the repository root unless given): exit code, the report with its verdict, output. */
const check = (command, flags = [], cwd = ROOT) => checkToFile(command, { flags: ['--idle', '12s', ...flags], cwd, timeout: '120s' });

/** A plain `node …` in the repository root, without leakprof's CLI. */
const runNode = (args) => spawnCollect(process.execPath, args);

const describeViolations = (verdict) => verdict.violations.map((v) => v.message).join('\n') || '(no violations)';

/** Violations as [test, file:line, count], sorted. */
function blamed(verdict) {
  return verdict.violations.map((v) => [v.test ?? null, v.location ? `${v.location.file}:${v.location.line}` : null, v.count]).sort();
}

const RUNNERS = [
  {
    name: 'node:test',
    leaky: ['node', '--test', '--test-force-exit', `${S}/node-test/leaky.test.mjs`],
    clean: ['node', '--test', `${S}/node-test/clean.test.mjs`],
    file: `${S}/node-test/leaky.test.mjs`,
    api: (v) => ({ file: `${S}/node-test/${v}-api.test.mjs`, command: ['node', '--test', '--test-force-exit', `${S}/node-test/${v}-api.test.mjs`] }),
  },
  {
    name: 'mocha',
    leaky: [`${BIN}/mocha`, '--timeout', '60000', '--exit', `${S}/mocha/leaky.spec.cjs`],
    clean: [`${BIN}/mocha`, '--timeout', '60000', `${S}/mocha/clean.spec.cjs`],
    file: `${S}/mocha/leaky.spec.cjs`,
    api: (v) => ({ file: `${S}/mocha/${v}-api.spec.cjs`, command: [`${BIN}/mocha`, '--timeout', '60000', '--exit', `${S}/mocha/${v}-api.spec.cjs`] }),
  },
  {
    name: 'jest',
    leaky: [`${BIN}/jest`, '--forceExit', '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/leaky.test.cjs`],
    clean: [`${BIN}/jest`, '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/clean.test.cjs`],
    file: `${S}/jest/leaky.test.cjs`,
    api: (v) => ({ file: `${S}/jest/${v}-api.test.cjs`, command: [`${BIN}/jest`, '--forceExit', '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/${v}-api.test.cjs`] }),
  },
  {
    name: 'vitest',
    leaky: [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/leaky.test.mjs`],
    clean: [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/clean.test.mjs`],
    file: `${S}/vitest/leaky.test.mjs`,
    api: (v) => ({ file: `${S}/vitest/${v}-api.test.mjs`, command: [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/${v}-api.test.mjs`] }),
  },
];

describe('leakprof check on the example suites', { concurrency: 4 }, () => {
  for (const runner of RUNNERS) {
    test(`${runner.name}: the leaky suite fails, naming the test and the line`, async () => {
      const { code, verdict, stderr } = await check(runner.leaky);
      assert.equal(code, 1, stderr);
      assert.deepEqual(blamed(verdict), [['server > reconnects', at(runner.file, 'LEAK'), 1]], describeViolations(verdict));
      assert.match(stderr, new RegExp(`^leak: 1 × TCPSERVERWRAP listening ref, created at ${runner.file.replace(/\./g, '\\.')}:\\d+ \\(in test "server > reconnects"\\)`, 'm'));
      assert.match(stderr, /^#\tin test "server > reconnects"$/m, 'the grouped stack says the test too');
    });

    test(`${runner.name}: the clean suite passes`, async () => {
      const { code, verdict, stderr } = await check(runner.clean);
      assert.equal(code, 0, `${describeViolations(verdict)}\n${stderr}`);
      assert.equal(verdict.status, 'clean');
    });
  }

  for (const [runner, folder, leakyFile] of [
    ['node:test', 'node-test', 'leaky.test.mjs'],
    ['mocha', 'mocha', 'leaky.spec.cjs'],
    ['jest', 'jest', 'leaky.test.cjs'],
    ['vitest', 'vitest', 'leaky.test.mjs'],
  ]) {
    test(`${runner}: \`leakprof check -- npm test\` (fixtures/suites/npm/${folder}) fails, \`-- npm run test:clean\` passes`, async () => {
      const cwd = join(ROOT, S, 'npm', folder);
      const failed = await check(['npm', 'test'], [], cwd);
      assert.equal(failed.code, 1, failed.stderr);
      // Outside the working folder, report paths are absolute.
      const where = `${join(ROOT, S, folder, leakyFile)}:${markerLine(`${S}/${folder}/${leakyFile}`, 'LEAK')}`;
      assert.deepEqual(blamed(failed.verdict), [['server > reconnects', where, 1]], describeViolations(failed.verdict));
      const clean = await check(['npm', 'run', 'test:clean'], [], cwd);
      assert.equal(clean.code, 0, describeViolations(clean.verdict) + clean.stderr);
    });
  }

  for (const runner of RUNNERS) {
    test(`${runner.name}: afterEach(() => verifyNone()) fails the leaky test by name and line, passes the clean one`, async () => {
      const leaky = runner.api('leaky');
      const failed = await check(leaky.command);
      const output = failed.stdout + failed.stderr;
      assert.equal(failed.code, 1, `the runner failed the test: its own exit code\n${output}`);
      assert.equal(failed.verdict.status, 'failed');
      assert.match(output, /LeakError/);
      const line = `created at ${at(leaky.file, 'LEAK')} (in test "server > reconnects")`;
      assert.ok(output.includes(`leak: 1 × TCPSERVERWRAP listening ref, ${line}`), output);

      const clean = await check(runner.api('clean').command);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    });
  }

  test('node:test without the CLI: `--import leakprof/register` attributes tests for verifyNone() too', async () => {
    const file = `${S}/node-test/leaky-api.test.mjs`;
    const { code, stdout } = await runNode(['--import', 'leakprof/register', '--test', '--test-reporter=tap', '--test-force-exit', file]);
    assert.equal(code, 1);
    assert.ok(stdout.includes(`created at ${at(file, 'LEAK')} (in test "server > reconnects")`), stdout);
    assert.match(stdout, /^# pass 1$/m, 'the clean test after it passes: its check does not count the other test\'s server');
  });

  test('jest with its default transform (babel-jest): the line is mapped back through jest\'s own source map', async () => {
    const file = `${S}/jest-babel/leaky.test.js`;
    const { code, verdict } = await check([`${BIN}/jest`, '--forceExit', '-c', `${S}/jest-babel/jest.config.js`]);
    assert.equal(code, 1);
    assert.deepEqual(blamed(verdict), [['server > reconnects', at(file, 'LEAK'), 1]], describeViolations(verdict));
  });

  test('a runner leakprof has no integration for: the test is named from the source around the creating line', async () => {
    const file = `${S}/fallback/leaky.test.mjs`;
    const { code, verdict } = await check(['node', `${S}/fallback/mini-runner.mjs`]);
    assert.equal(code, 1);
    assert.deepEqual(blamed(verdict), [['server > reconnects', at(file, 'LEAK'), 1]], describeViolations(verdict));
  });

  const CONCURRENT = {
    'node:test': ['node', '--test', '--test-force-exit', `${S}/node-test/concurrent.test.mjs`],
    jest: [`${BIN}/jest`, '--forceExit', '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/concurrent.test.cjs`],
    vitest: [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/concurrent.test.mjs`],
  };
  for (const [runner, command] of Object.entries(CONCURRENT)) {
    test(`${runner}: concurrent tests are told apart after their awaits`, async () => {
      const { code, verdict } = await check(command);
      assert.equal(code, 1);
      const perTest = {};
      for (const v of verdict.violations) perTest[v.test] = (perTest[v.test] ?? 0) + v.count;
      assert.deepEqual(perTest, { 'concurrent > slow': 1, 'concurrent > fast': 2 }, describeViolations(verdict));
    });
  }
});

describe('per-test peer scenarios under leakprof check', { concurrency: 4 }, () => {
  test('3 (node:test): a 30 s timer in a test body, a done-style test and a before hook -> each blamed on its own', async () => {
    const file = `${S}/peers/03-timeout-in-test.test.mjs`;
    const { code, verdict } = await check(['node', '--test', '--test-force-exit', file]);
    assert.equal(code, 1);
    assert.deepEqual(
      blamed(verdict),
      [
        ['timeouts > before', at(file, 'LEAK hook'), 1],
        ['timeouts > done-style', at(file, 'LEAK done'), 1],
        ['timeouts > in the body', at(file, 'LEAK body'), 1],
      ],
      describeViolations(verdict),
    );
  });

  test('3 (jest, as in its own fixtures): body, done callback and beforeAll', async () => {
    const file = `${S}/jest/03-timeout-in-test.test.cjs`;
    const { code, verdict } = await check([`${BIN}/jest`, '--forceExit', '-c', `${S}/jest/jest.config.cjs`, file]);
    assert.equal(code, 1);
    assert.deepEqual(
      blamed(verdict),
      [
        ['timeouts > beforeAll', at(file, 'LEAK hook'), 1],
        ['timeouts > done-style', at(file, 'LEAK done'), 1],
        ['timeouts > in the body', at(file, 'LEAK body'), 1],
      ],
      describeViolations(verdict),
    );
  });

  test('10: two tests each leaking 2 timeouts from one helper -> 2 per test, not 4 and not 0', async () => {
    const file = `${S}/peers/10-two-tests-two-timeouts.test.mjs`;
    const { code, verdict } = await check(['node', '--test', '--test-force-exit', file]);
    assert.equal(code, 1);
    const perTest = {};
    for (const v of verdict.violations) perTest[v.test] = (perTest[v.test] ?? 0) + v.count;
    assert.deepEqual(perTest, { first: 2, second: 2 }, describeViolations(verdict));
    assert.deepEqual([...new Set(verdict.violations.map((v) => v.location.line))].sort(), [markerLine(file, 'LEAK first'), markerLine(file, 'LEAK second')]);
  });

  test('11: a timer made at module top and cleared in a test -> no leak, and a warning', async () => {
    const file = `${S}/peers/11-closed-inside-started-before.test.mjs`;
    const { code, verdict, report, stderr } = await check(['node', '--test', file]);
    assert.equal(code, 0, describeViolations(verdict));
    const warning = `test "clears a timer it did not make" cleared a Timeout it did not make (made outside any test, at ${at(file, 'TIMER')})`;
    assert.ok(stderr.includes(`warning: ${warning}`), stderr);
    const notes = report.processes.flatMap((p) => p.notes).filter((n) => n.startsWith('test "'));
    assert.equal(notes.length, 1, `only the module-top timer, not the beforeEach/afterEach interval:\n${notes.join('\n')}`);
  });

  test('12: a test that leaks and throws -> the failure (its exit code) and the leak are both reported', async () => {
    const file = `${S}/peers/12-leak-and-throw.test.mjs`;
    const { code, verdict } = await check(['node', '--test', '--test-force-exit', file]);
    assert.equal(code, 1, 'node --test failed: its own exit code');
    assert.equal(verdict.status, 'failed');
    assert.deepEqual(blamed(verdict), [['leaks and throws', at(file, 'LEAK'), 1]], describeViolations(verdict));
  });

  test('13: a leak in test A, test B clean -> A is blamed, nothing of B', async () => {
    const file = `${S}/peers/13-leak-in-a-check-in-b.test.mjs`;
    const { code, verdict } = await check(['node', '--test', '--test-force-exit', file]);
    assert.equal(code, 1);
    assert.deepEqual(blamed(verdict), [['A leaks', at(file, 'LEAK'), 1]], describeViolations(verdict));
  });

  test('13 (verifyNone in B): B passes, A is blamed at exit', async () => {
    const file = `${S}/peers/13-leak-in-a-verify-in-b.test.mjs`;
    const { code, verdict, stdout } = await check(['node', '--test', '--test-reporter=tap', '--test-force-exit', file]);
    assert.match(stdout, /^ok 2 - B checks$/m, stdout);
    assert.match(stdout, /^# fail 0$/m);
    assert.equal(code, 1, 'the leak still fails check');
    assert.deepEqual(blamed(verdict), [['A leaks', at(file, 'LEAK'), 1]], describeViolations(verdict));
  });
});
