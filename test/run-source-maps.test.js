// Lines are the user's source lines, whatever transformed the code and wherever its map is:
// inline in code a require hook rewrote in memory (nyc/istanbul, @babel/register: the file
// on disk is the original), in Node's cache (--enable-source-maps, tsx), in jest's cache
// (babel-jest). leakprof's own frames never appear in a stack, even where a source map would
// take them back to its src/*.ts. And the workload's own error stacks are what bare Node prints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkToFile } from './helpers/check.js';
import { describeGroups, handleGroups, leakprofCli, leaks, location, markerLine, runLeakprof, spawnCollect } from './helpers/leakprof.js';

const DIR = 'fixtures/source-maps';
const POLLER = `${DIR}/poller.js`;
const HOOK = `./${DIR}/instrument.cjs`;
const MOCHA = 'node_modules/.bin/mocha';
const SOURCE_MAPS = { NODE_OPTIONS: '--enable-source-maps' };
const at = (file, marker) => `${file}:${markerLine(file, marker)}`;

/** `leakprof check -o report.json -- <command>`: exit code and report (the runner prints to stdout). */
const check = (command, env = {}) => checkToFile(command, { env, timeout: '120s' });

/** Every frame anywhere in the report's processes (groups, created-by stacks, tops). */
function allFrames(value, out = []) {
  if (Array.isArray(value)) for (const item of value) allFrames(item, out);
  else if (value && typeof value === 'object') {
    if (typeof value.file === 'string' && typeof value.kind === 'string' && typeof value.line === 'number') out.push(value);
    for (const child of Object.values(value)) allFrames(child, out);
  }
  return out;
}

/** No frame of leakprof's own code (its dist/, or the src/*.ts its maps lead to; paths are relative to the repository, the cwd). */
function assertNoOwnFrames(report) {
  const frames = allFrames(report.processes);
  assert.ok(frames.length > 0, 'the report has frames');
  const own = frames.filter((f) => f.kind === 'leakprof' || /^(src|dist)\//.test(f.file) || f.file.includes('/leakprof/'));
  assert.deepEqual(
    own.map((f) => `${f.file}:${f.line} ${f.function}`),
    [],
  );
}

/** The reported process whose command line runs `file` (after a -r flag, so not as argv[1]). */
function runnerOf(report, file) {
  const proc = report.processes.find((p) => p.argv.some((arg) => typeof arg === 'string' && arg.endsWith(file)));
  assert.ok(proc, `no process ran ${file}; processes: ${report.processes.map((p) => p.argv.join(' ')).join(' | ')}`);
  return proc;
}

function assertPollerLeak(report, entry) {
  const proc = runnerOf(report, entry);
  const timers = leaks(proc).filter((g) => g.type === 'Timeout');
  assert.equal(timers.length, 1, describeGroups(handleGroups(proc)));
  const [timer] = timers;
  assert.equal(location(timer), at(POLLER, 'LEAK'));
  assert.equal(timer.top.column, 17);
  assert.equal(timer.source, 'const timer = setInterval(tick, everyMs); // LEAK');
  return timer;
}

function assertMochaVerdict({ code, verdict, report }) {
  assert.equal(code, 1);
  assert.deepEqual(
    verdict.violations.map((v) => [v.test, `${v.location?.file}:${v.location?.line}`]),
    [['poller > polls', at(POLLER, 'LEAK')]],
  );
  const [group] = report.processes.flatMap((p) => handleGroups(p)).filter((g) => g.type === 'Timeout' && g.top?.file === POLLER);
  assert.equal(group?.source, 'const timer = setInterval(tick, everyMs); // LEAK');
  assertNoOwnFrames(report);
}

describe('source lines through inline source maps (the nyc/istanbul and @babel/register shape)', { concurrency: true }, () => {
  test('run: the interval is at its line in the original file, with that line printed', async () => {
    const { report, code } = await runLeakprof(['--', process.execPath, '-r', HOOK, `${DIR}/leaky.js`]);
    assert.equal(code, 0);
    assertPollerLeak(report, `${DIR}/leaky.js`);
    assertNoOwnFrames(report);
  });

  test('run with --enable-source-maps (Node keeps the maps): the same line', async () => {
    const { report, code } = await runLeakprof(['--', process.execPath, '-r', HOOK, `${DIR}/leaky.js`], { env: SOURCE_MAPS });
    assert.equal(code, 0);
    assertPollerLeak(report, `${DIR}/leaky.js`);
    assertNoOwnFrames(report);
  });

  test('run: the fixed twin exits by itself with nothing left', async () => {
    const { report, code } = await runLeakprof(['--', process.execPath, '-r', HOOK, `${DIR}/fixed.js`]);
    assert.equal(code, 0);
    const proc = runnerOf(report, `${DIR}/fixed.js`);
    assert.deepEqual(leaks(proc), [], describeGroups(handleGroups(proc)));
  });

  test('check under mocha (nyc npm test): blamed on the test, at the original line', async () => {
    assertMochaVerdict(await check([MOCHA, '--exit', '--require', HOOK, `${DIR}/leaky.spec.cjs`]));
  });

  test('check under mocha with --enable-source-maps: the same line, and none of leakprof\'s runner frames', async () => {
    assertMochaVerdict(await check([MOCHA, '--exit', '--require', HOOK, `${DIR}/leaky.spec.cjs`], SOURCE_MAPS));
  });

  test('check under mocha: the fixed twin passes', async () => {
    const { code, verdict } = await check([MOCHA, '--require', HOOK, `${DIR}/fixed.spec.cjs`], SOURCE_MAPS);
    assert.equal(code, 0, JSON.stringify(verdict.violations));
  });
});

describe('source lines through maps a transform keeps itself', { concurrency: true }, () => {
  for (const [how, env] of [['', undefined], [' with --enable-source-maps', SOURCE_MAPS]]) {
    test(`tsx${how}: the .ts line and its text, no leakprof frame`, async () => {
      const file = `${DIR}/poller.ts`;
      const { report, code } = await runLeakprof(['--', process.execPath, '--import', 'tsx', file], { env });
      assert.equal(code, 0);
      const proc = runnerOf(report, file);
      const intervals = leaks(proc).filter((g) => g.type === 'Timeout');
      assert.equal(intervals.length, 1, describeGroups(handleGroups(proc)));
      assert.equal(location(intervals[0]), at(file, 'LEAK'));
      assert.equal(intervals[0].source, 'return setInterval(() => onTick(++count), everyMs); // LEAK');
      assertNoOwnFrames(report);
    });
  }

  test('a tsc build run as it is (its .js names its .map file; no --enable-source-maps): the .ts line and its text', async () => {
    const file = `${DIR}/poller.ts`;
    const { report, code } = await runLeakprof(['--', process.execPath, `${DIR}/built/poller.js`]);
    assert.equal(code, 0);
    const proc = runnerOf(report, `${DIR}/built/poller.js`);
    const intervals = leaks(proc).filter((g) => g.type === 'Timeout');
    assert.equal(intervals.length, 1, describeGroups(handleGroups(proc)));
    assert.equal(location(intervals[0]), at(file, 'LEAK'));
    assert.equal(intervals[0].source, 'return setInterval(() => onTick(++count), everyMs); // LEAK');
  });

  test('jest with babel-jest: the test file\'s line and its text, no leakprof frame (also with --enable-source-maps)', async () => {
    const file = 'fixtures/suites/jest-babel/leaky.test.js';
    for (const env of [undefined, SOURCE_MAPS]) {
      const { code, verdict, report } = await check(['node_modules/.bin/jest', '--forceExit', '-c', 'fixtures/suites/jest-babel/jest.config.js'], env);
      assert.equal(code, 1);
      assert.deepEqual(
        verdict.violations.map((v) => [v.test, `${v.location?.file}:${v.location?.line}`]),
        [['server > reconnects', at(file, 'LEAK')]],
      );
      const groups = report.processes.flatMap((p) => handleGroups(p)).filter((g) => g.top?.file === file);
      assert.equal(groups[0]?.source, 'createServer(options).listen(0); // LEAK');
      assertNoOwnFrames(report);
    }
  });

  test('vitest (its own inline maps) with --enable-source-maps: the test file\'s line and its text, no leakprof frame', async () => {
    const file = 'fixtures/suites/vitest/leaky.test.mjs';
    const { code, verdict, report } = await check(['node_modules/.bin/vitest', 'run', '-c', 'fixtures/suites/vitest/vitest.config.mjs', file], SOURCE_MAPS);
    assert.equal(code, 1);
    assert.deepEqual(
      verdict.violations.map((v) => [v.test, `${v.location?.file}:${v.location?.line}`]),
      [['server > reconnects', at(file, 'LEAK')]],
    );
    const groups = report.processes.flatMap((p) => handleGroups(p)).filter((g) => g.top?.file === file);
    assert.equal(groups[0]?.source, 'const server = createServer().listen(0); // LEAK');
    assertNoOwnFrames(report);
  });
});

/** `node <args>` bare, in the repository: its stdout. */
const bare = async (args) => (await spawnCollect(process.execPath, args)).stdout;

describe("the workload's error stacks are its own", { concurrency: true }, () => {
  const script = `${DIR}/require-throws.js`;
  for (const command of ['run', 'check']) {
    test(`${command}: an error thrown while a required module loads has bare Node's stack, frame for frame`, async () => {
      const expected = await bare([script]);
      // Bare Node's default 10 frames reach Node's own require machinery: one frame more would push out the last.
      assert.equal(expected.split('\n').filter((line) => line.startsWith('    at ')).length, 10, expected);
      assert.match(expected, /\n {4}at Module\.require \(node:/, expected);
      const { stdout } = await leakprofCli([command, '--', process.execPath, script]);
      assert.equal(stdout, expected);
    });
  }
});
