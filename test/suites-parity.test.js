// leakprof never changes a test result: each runner's hooks fixture (every hook kind at every level,
// skip/todo/only, concurrent tests) gets the same counts and exit code bare and under `leakprof check`.
// And what the runner or the package manager makes for itself is never the user's leak: vitest's
// own throttle timer (made during the last test), npm's own file handle when a script fails.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkToFile } from './helpers/check.js';
import { markerLine, ROOT, spawnCollect } from './helpers/leakprof.js';

const S = 'fixtures/suites';
const BIN = 'node_modules/.bin';

const node = (command) => (command[0] === 'node' ? [process.execPath, ...command.slice(1)] : command);

/** The command as given (`node` is this Node), bare. */
const bare = (command, cwd = ROOT, env = {}) => spawnCollect(node(command)[0], node(command).slice(1), { cwd, env });

/** `leakprof check -o report.json [flags] -- <command>`: exit code, verdict, output. */
const check = (command, flags = [], cwd = ROOT, env = {}) => checkToFile(node(command), { flags, cwd, env });

const stripColors = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');
const plainText = (r) => stripColors(r.stdout + r.stderr);

/** The runner's own count lines (pass/fail/skip/todo…), durations cut off. */
const SUMMARY = {
  'node:test': (r) => r.stdout.match(/^# (tests|suites|pass|fail|cancelled|skipped|todo) \d+$/gm) ?? [],
  mocha: (r) => (r.stdout.match(/^\s+\d+ (passing|pending|failing)/gm) ?? []).map((l) => l.trim()),
  jest: (r) => (r.stderr.match(/^(Tests|Test Suites):.*$/gm) ?? []).map((l) => l.replace(/\s+/g, ' ')),
  vitest: (r) => (stripColors(r.stdout).match(/^\s*(Tests|Test Files)\s.*$/gm) ?? []).map((l) => l.trim().replace(/\s+/g, ' ')),
};

const FIXTURES = [
  ['node:test', 'hooks', ['node', '--test', '--test-reporter=tap', `${S}/node-test/hooks.test.mjs`], /^# pass [89]$/m], // Node 20 counts describe.todo's test as passed, 22 and 24 as todo
  ['node:test', 'only', ['node', '--test', '--test-only', '--test-reporter=tap', `${S}/node-test/only.test.mjs`], /^# pass [1-9]/m],
  ['mocha', 'hooks', [`${BIN}/mocha`, '--timeout', '60000', `${S}/mocha/hooks.spec.cjs`], /^\s+5 passing/m],
  ['mocha', 'only', [`${BIN}/mocha`, '--timeout', '60000', `${S}/mocha/only.spec.cjs`], /^\s+1 passing/m],
  ['jest', 'hooks', [`${BIN}/jest`, '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/hooks.test.cjs`], /^Tests:.* 8 passed, 11 total/m],
  ['jest', 'only', [`${BIN}/jest`, '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/only.test.cjs`], /^Tests:.* 2 passed/m],
  ['vitest', 'hooks', [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/hooks.test.mjs`], /Tests\s+8 passed/],
  ['vitest', 'only', [`${BIN}/vitest`, 'run', '--allowOnly', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/only.test.mjs`], /Tests\s+2 passed/],
  // A failing test and a failing beforeEach: the same failures, the same exit code (1), no leak.
  ['node:test', 'fails', ['node', '--test', '--test-reporter=tap', `${S}/node-test/fails.test.mjs`], /^# fail 2$/m, 1],
  ['mocha', 'fails', [`${BIN}/mocha`, '--timeout', '60000', `${S}/mocha/fails.spec.cjs`], /^\s+2 failing/m, 2],
  ['jest', 'fails', [`${BIN}/jest`, '-c', `${S}/jest/jest.config.cjs`, `${S}/jest/fails.test.cjs`], /^Tests:\s+2 failed, 1 passed/m, 1],
  ['vitest', 'fails', [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/fails.test.mjs`], /Tests\s+2 failed \| 1 passed/, 1],
];

describe('the suite\'s result under check is the bare result', { concurrency: 2 }, () => {
  for (const [runner, name, command, passed, exitCode = 0] of FIXTURES) {
    test(`${runner}: ${name} fixture — same counts, same exit code, no leak`, async () => {
      const plain = await bare(command);
      const checked = await check(command);
      const counts = SUMMARY[runner];
      assert.match(plainText(plain), passed, `the fixture itself: ${plain.stdout}${plain.stderr}`);
      assert.equal(plain.code, exitCode, plain.stdout + plain.stderr);
      assert.ok(counts(plain).length > 0, `no summary in the bare output:\n${plain.stdout}${plain.stderr}`);
      assert.deepEqual(counts(checked), counts(plain), checked.stdout + checked.stderr);
      assert.equal(checked.code, plain.code, checked.stdout + checked.stderr);
      assert.equal(checked.verdict.status, exitCode === 0 ? 'clean' : 'failed', checked.stderr);
      assert.deepEqual(checked.verdict.violations, [], checked.verdict.violations.map((v) => v.message).join('\n'));
    });
  }
});

describe('runner internals leakprof does not recognise', () => {
  test('node:test: a Test resource of another shape — nothing named, the result unchanged, and --verbose says so', async () => {
    const command = ['node', `${S}/node-test/unknown-shape.test.mjs`];
    const plain = await bare(command);
    const checked = await check(command, ['--verbose']);
    assert.equal(plain.code, 0);
    assert.equal(checked.code, 0, checked.stderr);
    assert.deepEqual(SUMMARY['node:test'](checked), SUMMARY['node:test'](plain));
    assert.match(checked.stderr, /^note: node:test: could not name tests \(unrecognised runner internals\); leaks are reported without test names$/m);
    const quiet = await check(command);
    assert.doesNotMatch(quiet.stderr, /could not name tests/, 'said under --verbose only');
  });
});

describe('runner internals of another shape, presented by a program of our own', () => {
  const UNKNOWN = `${S}/unknown-shapes`;
  for (const [runner, file, env] of [
    ['vitest', 'vitest-worker.mjs', { VITEST: 'true' }],
    ['jest', 'jest-env.cjs', {}],
    ['mocha', 'mocha.cjs', {}],
  ]) {
    test(`${runner}: ${file} — runs as bare, and --verbose says the tests could not be named`, async () => {
      const command = ['node', `${UNKNOWN}/${file}`];
      const plain = await bare(command, ROOT, env);
      const checked = await check(command, ['--verbose'], ROOT, env);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(checked.code, plain.code, checked.stderr);
      assert.ok(checked.stderr.includes(`note: ${runner}: could not name tests (unrecognised runner internals); leaks are reported without test names`), checked.stderr);
    });
  }
});

describe("mocha 3's shape (no titlePath), presented by a stand-in runner of our own", () => {
  test('a test and a nested suite\'s hook are named by their full paths, from their titles and parents', async () => {
    const file = `${S}/mocha-3-shape/leaky.test.cjs`;
    const command = ['node', `${S}/mocha-3-shape/mocha.cjs`, file];
    const plain = await bare(command);
    const checked = await check(command);
    assert.match(plain.stdout, /2 passing/, plain.stdout + plain.stderr);
    assert.equal(checked.code, 1, checked.stderr);
    const named = (marker) =>
      checked.verdict.violations.filter((v) => v.location && `${v.location.file}:${v.location.line}` === `${file}:${markerLine(file, marker)}`).map((v) => v.test);
    const all = checked.verdict.violations.map((v) => v.message).join('\n');
    assert.deepEqual(named('LEAK'), ['outer > inner > leaks'], all);
    assert.deepEqual(named('HOOK-LEAK'), ['outer > inner > before'], all);
  });
});

describe("jest 27's shape (the environment module is the class itself), presented by a stand-in runner of our own", () => {
  test('a file a library opens after an await, started by a synchronous test, is named after that test', async () => {
    const dir = `${S}/jest-27-shape`;
    const command = ['node', `${dir}/jest.cjs`, `${dir}/leaky.test.cjs`];
    const plain = await bare(command);
    const checked = await check(command, ['--verbose']);
    assert.match(plain.stdout, /✓ does nothing/, plain.stdout + plain.stderr);
    assert.equal(checked.code, 1, checked.stderr);
    assert.doesNotMatch(checked.stderr, /could not name tests/);
    const opener = `${dir}/opener.cjs`;
    const leak = checked.verdict.violations.find((v) => v.location && `${v.location.file}:${v.location.line}` === `${opener}:${markerLine(opener, 'LEAK')}`);
    assert.ok(leak, checked.verdict.violations.map((v) => v.message).join('\n'));
    assert.equal(leak.test, 'parser > starts a part and never ends it');
  });

  test('the same line leaking in five tests and outside any is one line naming the first three and how many in all; the JSON lists all five', async () => {
    const dir = `${S}/jest-27-shape`;
    const checked = await check(['node', `${dir}/jest.cjs`, `${dir}/many.test.cjs`]);
    assert.equal(checked.code, 1, checked.stderr);
    assert.equal(checked.verdict.violations.length, 1, checked.verdict.violations.map((v) => v.message).join('\n'));
    const [leak] = checked.verdict.violations;
    assert.equal(leak.count, 6, 'five tests, and one outside any test');
    assert.deepEqual(leak.tests, ['parts > part a', 'parts > part b', 'parts > part c', 'parts > part d', 'parts > part e']);
    assert.equal(leak.test, undefined);
    assert.match(leak.message, /^leak \(fds\): 6 × WriteStream open, created at .*opener\.cjs:\d+ \(in 5 tests: "parts > part a", "parts > part b", "parts > part c" and 2 more, and outside any test\) — /);
  });
});

describe('the runner\'s and the package manager\'s own resources are never the user\'s leak', () => {
  test('vitest: a clean file of 20 tests passes check every time (vitest\'s throttle timer is the runner\'s, even during t19)', async () => {
    const command = [`${BIN}/vitest`, 'run', '-c', `${S}/vitest/vitest.config.mjs`, `${S}/vitest/many-clean.test.mjs`];
    const seen = [];
    for (let run = 0; run < 10; run++) {
      const { code, verdict, stderr } = await check(command);
      assert.equal(code, 0, `run ${run + 1}: ${verdict.violations.map((v) => v.message).join('\n')}\n${stderr}`);
      seen.push(...verdict.excluded.filter((e) => e.why === 'runner' && /@vitest[\\/]runner/.test(e.location ?? '')));
    }
    assert.ok(seen.length > 0, 'vitest\'s own timer was seen, and not counted');
    assert.ok(seen.every((e) => e.reason.startsWith('vitest\'s own') || e.reason.startsWith('the test runner\'s own')), JSON.stringify(seen));
  });

  test('npm: a script that fails (exit 3) after a clean workload — the failure and its exit code, no leak line for npm\'s own', async () => {
    const cwd = join(ROOT, 'fixtures/check/npm-script-fails');
    const { code, verdict, stderr } = await check(['npm', 'run', 'x'], ['--verbose'], cwd);
    assert.equal(code, 3, stderr);
    assert.equal(verdict.status, 'failed');
    assert.deepEqual(verdict.violations, [], stderr);
    assert.doesNotMatch(stderr, /^leak( \(\w+\))?:/m);
    assert.match(stderr, /leakprof check: the workload failed \(it exited with code 3\) \(exit 3\)/);
    // What npm left (if anything) is said under --verbose as npm's own, never counted.
    const npms = verdict.excluded.filter((x) => /[\\/]node_modules[\\/]npm[\\/]/.test(x.location ?? '') && x.why !== 'benign');
    for (const e of npms) assert.equal(e.why, 'runner', JSON.stringify(e));
  });
});

test('node:test: leaks made in hooks at the root and in nested suites are blamed on their hooks, by name', async () => {
  const file = `${S}/node-test/hooks-leaky.test.mjs`;
  const { code, verdict, stderr } = await check(['node', '--test', '--test-force-exit', file]);
  assert.equal(code, 1, stderr);
  const line = (marker) => `${file}:${markerLine(file, marker)}`;
  const blamed = verdict.violations.map((v) => [v.test ?? null, v.location ? `${v.location.file}:${v.location.line}` : null]).sort();
  assert.deepEqual(blamed, [
    ['before', line('LEAK root-before')],
    ['outer > after', line('LEAK outer-after')],
    ['outer > inner > runs nested > beforeEach', line('LEAK inner-beforeEach')],
  ].sort(), verdict.violations.map((v) => v.message).join('\n'));
});
