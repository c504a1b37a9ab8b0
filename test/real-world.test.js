// Patterns met running `leakprof check` on real projects' suites (bench/real-projects.js), each
// rewritten as a tiny program or test file of our own in fixtures/real-world/<name>/ with the
// verdict it must get: a clean twin that must pass (exit 0) and, where the pattern has one, a leaky
// twin that must fail (exit 1) at the line marked `// LEAK`. Each case spawns the real CLI and reads
// the real verdict. Cases leakprof still gets wrong are marked todo with what is wrong, for the
// branches that fix them (issue 10).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkToFile } from './helpers/check.js';
import { ROOT, markerLine } from './helpers/leakprof.js';

const F = 'fixtures/real-world';

/** `leakprof check --timeout 180s -o report.json [flags] -- <command>` in `cwd`: exit code, verdict, stderr. */
// Every fixture here ends by itself: --timeout is only a bound for a broken run (vitest took over 30 s at load 22).
const check = (command, { flags = [], cwd = ROOT } = {}) => checkToFile(command, { flags, cwd });

const messages = (verdict) => verdict.violations.map((v) => v.message).join('\n') || '(no violations)';
const at = (v) => (v.location ? `${v.location.file}:${v.location.line}` : '');

/** The clean twin passes: exit 0, nothing counted. */
async function assertClean(command, options) {
  const { code, verdict, stderr } = await check(command, options);
  assert.equal(verdict.violations.length, 0, messages(verdict));
  assert.equal(code, 0, stderr);
}

/** The leaky twin fails: exit 1, a violation of `type` at the file's `// LEAK` line. */
async function assertLeak(command, file, type, options) {
  const { code, verdict, stderr } = await check(command, options);
  assert.equal(code, 1, stderr);
  const line = `${file}:${markerLine(file, 'LEAK')}`;
  assert.ok(
    verdict.violations.some((v) => v.type === type && at(v) === line),
    `expected a ${type} violation at ${line}, got:\n${messages(verdict)}`,
  );
}

describe('check on patterns from real suites', { concurrency: true }, () => {
  test(
    'unconnected-socket: a socket whose lookup never answers, in a process that ends by itself, is clean',
    () => assertClean(['node', `${F}/unconnected-socket/clean.mjs`]),
  );
  test('unconnected-socket: a connected socket left open at process.exit() is a leak at its line', () =>
    assertLeak(['node', `${F}/unconnected-socket/leaky.mjs`], `${F}/unconnected-socket/leaky.mjs`, 'TCPWRAP'));

  test(
    'tls-closed: a TLS exchange both sides closed, in a process that ends by itself, is clean',
    () => assertClean(['node', `${F}/tls-closed/clean.mjs`]),
  );
  test('tls-closed: a TLS connection still up at process.exit() is a leak at its line', () =>
    assertLeak(['node', `${F}/tls-closed/leaky.mjs`], `${F}/tls-closed/leaky.mjs`, 'TLSWRAP'));

  test(
    'blob-read-fails: a file Blob read that rejected and was handled, in a process that ends by itself, is clean',
    () => assertClean(['node', `${F}/blob-read-fails/clean.mjs`]),
  );

  test(
    'npm-script-fails: `check -- npm test` on a failing script that leaves nothing open gives the script\'s exit code and no leak',
    async () => {
      const { code, verdict, stderr } = await check(['npm', 'test'], { cwd: join(ROOT, F, 'npm-script-fails') });
      assert.equal(code, 3, stderr);
      assert.equal(verdict.violations.length, 0, messages(verdict));
    },
  );

  test(
    'race-loser: a race whose await resumed, its loser left pending but waited on by nothing, is clean under --promises',
    () => assertClean(['node', `${F}/race-loser/clean.mjs`], { flags: ['--promises'] }),
  );
  test('race-loser: an async function parked on a promise that can never settle is a leak at its await under --promises', () =>
    assertLeak(['node', `${F}/race-loser/leaky.mjs`], `${F}/race-loser/leaky.mjs`, 'await', { flags: ['--promises'] }));

  test(
    'unread-web-stream: a ReadableStream set as a body, never read and dropped, is clean under --promises',
    () => assertClean(['node', `${F}/unread-web-stream/clean.mjs`], { flags: ['--promises'] }),
  );

  test('jest-esm-lines: an ES module test file babel-jest reprinted, torn down before the process ends, is reported at its own line', () =>
    assertLeak(
      ['node', '--experimental-vm-modules', `${ROOT}node_modules/jest/bin/jest.js`, '--runInBand', '--forceExit', '-c', `${F}/jest-esm-lines/jest.config.js`],
      `${F}/jest-esm-lines/a-server.test.js`,
      'TCPSERVERWRAP',
    ));

  // mocha's own 2 s per-test timeout off: an HTTP round trip on a loaded machine may take longer.
  const mochaExit = (file) => [`${ROOT}node_modules/.bin/mocha`, '--exit', '--timeout', '0', `${F}/mocha-exit-servers/${file}`];
  test('mocha-exit-servers: a server a test never closes, in a suite ended by mocha --exit, is a leak at its line, in its test', async () => {
    const file = `${F}/mocha-exit-servers/leaky.spec.cjs`;
    const { code, verdict, stderr } = await check(mochaExit('leaky.spec.cjs'));
    assert.equal(code, 1, stderr);
    const line = `${file}:${markerLine(file, 'LEAK')}`;
    const servers = verdict.violations.filter((v) => v.type === 'TCPSERVERWRAP' && at(v) === line);
    assert.equal(servers.length, 1, messages(verdict));
    assert.equal(servers[0].test, 'request(url) > is supported', messages(verdict));
  });
  test('mocha-exit-servers: the twin that closes its server passes under mocha --exit', () => assertClean(mochaExit('clean.spec.cjs')));

  const vitest = (file, flags) => check([`${ROOT}node_modules/.bin/vitest`, 'run', '-c', `${F}/vitest-after-all/vitest.config.mjs`, file], { flags });
  // --promise-budget high enough that every promise of the worker has a stack: this is about whose
  // the pending await is, not about sampling (vitest's worker makes thousands of promises).
  test("vitest-after-all: work an afterAll left pending is named after the hook, not after the suite's last test", async () => {
    const file = `${F}/vitest-after-all/leaky.test.mjs`;
    const { code, verdict, stderr } = await vitest('leaky.test.mjs', ['--promises', '--promise-budget', '100000000']);
    assert.equal(code, 1, stderr);
    const line = `${file}:${markerLine(file, 'LEAK')}`;
    const pending = verdict.violations.filter((v) => v.kind === 'async' && at(v) === line);
    assert.equal(pending.length, 1, messages(verdict));
    assert.equal(pending[0].test, 'server > afterAll', messages(verdict));
  });
  test("vitest-after-all: a timer an afterAll's helper arms after an await (no hook frame on its stack) is the hook's", async () => {
    const file = `${F}/vitest-after-all/leaky.test.mjs`;
    const { verdict } = await vitest('leaky.test.mjs', []);
    const line = `${file}:${markerLine(file, 'TIMER-LEAK')}`;
    const timers = verdict.violations.filter((v) => v.type === 'Timeout' && at(v) === line);
    assert.equal(timers.length, 1, messages(verdict));
    assert.equal(timers[0].test, 'server > afterAll', messages(verdict));
  });
  test('vitest-after-all: afterAll at file level and in a nested suite each name their own hook', async () => {
    const file = `${F}/vitest-after-all/nested.test.mjs`;
    const { code, verdict, stderr } = await vitest('nested.test.mjs', []);
    assert.equal(code, 1, stderr);
    const named = (marker) => verdict.violations.filter((v) => v.type === 'Timeout' && at(v) === `${file}:${markerLine(file, marker)}`).map((v) => v.test);
    assert.deepEqual(named('INNER-LEAK'), ['outer > inner > afterAll'], messages(verdict));
    assert.deepEqual(named('FILE-LEAK'), ['afterAll'], messages(verdict));
  });
  test('vitest-after-all: the leaky file fails on the client connection its beforeAll opened, named after that hook', async () => {
    const file = `${F}/vitest-after-all/leaky.test.mjs`;
    const { code, verdict, stderr } = await vitest('leaky.test.mjs', []);
    assert.equal(code, 1, stderr);
    const sockets = verdict.violations.filter((v) => v.type === 'TCPWRAP');
    assert.ok(sockets.length > 0, messages(verdict));
    for (const v of sockets) {
      assert.equal(v.test, 'server > beforeAll', messages(verdict));
      assert.ok(at(v).startsWith(`${file}:`), messages(verdict));
    }
  });
  test(
    "vitest-after-all: nothing of vitest's own is flagged when it ends the worker",
    async () => {
      const { verdict } = await vitest('leaky.test.mjs', []);
      const runners = verdict.violations.filter((v) => at(v).includes('node_modules/'));
      assert.deepEqual(runners, [], messages(verdict));
    },
  );
  test('vitest-after-all: the clean twin (afterAll ends the client and awaits the close) passes, with --promises too', async () => {
    await assertClean([`${ROOT}node_modules/.bin/vitest`, 'run', '-c', `${F}/vitest-after-all/vitest.config.mjs`, 'clean.test.mjs'], { flags: ['--promises'] });
  });
});
