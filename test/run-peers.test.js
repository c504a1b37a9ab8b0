// The peers' own leak scenarios (see /work/shared/peer-scenarios.md) that concern `run`, with
// the verdicts given there. A leak is a handles group that keeps the loop alive, is the
// workload's own (not internal) and is not of a never-leaking kind (not benign).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGroups, handleGroups, leaks, location, markerLine, processFor, runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;

describe('peer scenarios under leakprof run', { concurrency: true }, () => {
  test('1: twice a server and an interval -> 2 groups of count 2', async () => {
    const file = 'fixtures/peers/01-servers-and-intervals.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const found = leaks(processFor(report, file));
    assert.deepEqual(
      found.map((g) => [g.type, g.count, location(g)]).sort(),
      [
        ['TCPSERVERWRAP', 2, at(file, 'LEAK server')],
        ['Timeout', 2, at(file, 'LEAK interval')],
      ],
      describeGroups(found),
    );
  });

  test('2: a server listened at load two requires down -> a leak, with the import chain in its stack', async () => {
    const file = 'fixtures/peers/02-server-at-import.cjs';
    const server = 'fixtures/peers/02-import-chain/server.cjs';
    const app = 'fixtures/peers/02-import-chain/app.cjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const found = leaks(processFor(report, file));
    assert.equal(found.length, 1, describeGroups(found));
    assert.equal(found[0].type, 'TCPSERVERWRAP');
    assert.equal(location(found[0]), at(server, 'LEAK'));
    const userFrames = found[0].frames.filter((f) => f.kind === 'user').map((f) => `${f.file}:${f.line}`);
    assert.deepEqual(userFrames.slice(0, 2), [at(server, 'LEAK'), at(app, 'IMPORT')]);
  });

  test('2: with a deeper stack the chain reaches the entry script', async () => {
    const file = 'fixtures/peers/02-server-at-import.cjs';
    const { report } = await runLeakprof([...UNTIL_IDLE, '--stack-depth', '40', file]);
    const [group] = leaks(processFor(report, file));
    const userFrames = group.frames.filter((f) => f.kind === 'user').map((f) => `${f.file}:${f.line}`);
    assert.ok(userFrames.includes(at(file, 'IMPORT')), userFrames.join('\n'));
  });

  test('5: unref\'d timeout, detached child and worker -> no leak, exits by itself', async () => {
    const file = 'fixtures/peers/05-unrefd.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 0);
    const proc = processFor(report, file);
    assert.deepEqual(leaks(proc), [], describeGroups(leaks(proc)));
    // They are still there, shown as unref'd, each at its own line.
    const unref = handleGroups(proc).filter((g) => g.state === 'unref');
    for (const [type, marker] of [['Timeout', 'UNREF timeout'], ['PROCESSWRAP', 'UNREF child'], ['WORKER', 'UNREF worker']]) {
      assert.ok(unref.some((g) => g.type === type && location(g) === at(file, marker)), `${type} unref at ${marker}:\n${describeGroups(unref)}`);
    }
  });

  test('6: randomBytes, monitorEventLoopDelay, dns.Resolver, a closed zlib stream -> no leak', async () => {
    const file = 'fixtures/peers/06-benign-builtins.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 0);
    const proc = processFor(report, file);
    assert.deepEqual(leaks(proc), [], describeGroups(leaks(proc)));
    const benign = handleGroups(proc).filter((g) => g.benign).map((g) => g.type);
    assert.ok(benign.includes('ELDHISTOGRAM') && benign.includes('DNSCHANNEL'), describeGroups(handleGroups(proc)));
  });

  test('9: fs.readFile(cb) not awaited -> at most one group', async () => {
    const file = 'fixtures/peers/09-readfile-not-awaited.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 0);
    const found = leaks(processFor(report, file));
    assert.ok(found.length <= 1, describeGroups(found));
    for (const g of found) assert.equal(location(g), at(file, 'PENDING'));
  });

  test('15: process.stdin touched and a lazily loaded builtin -> no leak', async () => {
    const file = 'fixtures/peers/15-stdin-and-lazy-builtin.mjs';
    // stdin is a pipe here, as under a test runner or CI.
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file], { stdin: 'pipe' });
    assert.equal(code, 0);
    const proc = processFor(report, file);
    assert.deepEqual(leaks(proc), [], describeGroups(leaks(proc)));
  });

  test('16: while (true) -> timed out, exit 124, the process reported blocked', async () => {
    const file = 'fixtures/peers/16-busy-loop.mjs';
    const { report, code, stderr } = await runLeakprof(['--timeout', '10s', '--grace', '200ms', file]);
    assert.equal(code, 124, stderr);
    assert.equal(report.outcome.kind, 'timeout');
    const proc = processFor(report, file);
    assert.equal(proc.blocked, true);
    assert.ok(proc.notes.some((n) => n.includes('event loop blocked')), proc.notes.join('\n'));
  });

  test('17: an interval whose callback is `wrapper` -> the user\'s function and line', async () => {
    const file = 'fixtures/peers/17-wrapped-callback.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const found = leaks(processFor(report, file));
    assert.equal(found.length, 1, describeGroups(found));
    assert.equal(location(found[0]), at(file, 'LEAK'));
    assert.equal(found[0].top.function, 'startPolling');
    assert.equal(found[0].entries[0].details.callback, 'wrapper');
  });

  test('18: timers made in eval and in vm -> both reported, with eval / vm attribution', async () => {
    const file = 'fixtures/peers/18-eval-and-vm.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const found = leaks(processFor(report, file));
    assert.equal(found.length, 2, describeGroups(found));

    const evalGroup = found.find((g) => g.label === 'Timeout 1000ms repeat');
    assert.equal(evalGroup.top.file, '<anonymous>');
    assert.match(evalGroup.top.evalOrigin, /eval at .*fixtures\/peers\/18-eval-and-vm\.mjs:(\d+)/);
    assert.equal(Number(evalGroup.top.evalOrigin.match(/\.mjs:(\d+)/)[1]), markerLine(file, 'LEAK eval'));

    const vmGroup = found.find((g) => g.label === 'Timeout 2000ms repeat');
    assert.equal(vmGroup.top.file, 'evalmachine.<anonymous>');
    const callerLines = vmGroup.frames.filter((f) => f.file === file).map((f) => f.line);
    assert.deepEqual(callerLines, [markerLine(file, 'LEAK vm')]);
  });
});

describe('regressions and known gaps', { concurrency: true }, () => {
  test('a closed fs/promises FileHandle is not reported alive', async () => {
    const file = 'fixtures/known-gaps/closed-filehandle.mjs';
    const { report, code } = await runLeakprof([file]);
    assert.equal(code, 0);
    const proc = processFor(report, file);
    assert.deepEqual(handleGroups(proc).filter((g) => g.type === 'FILEHANDLE'), []);
  });

  test('server.listen(0, host): the server is attributed to the listen line through the tick that made it', async () => {
    const file = 'fixtures/known-gaps/listen-with-host.mjs';
    const { report } = await runLeakprof([...UNTIL_IDLE, file]);
    const found = leaks(processFor(report, file));
    assert.deepEqual(found.map((g) => [g.type, location(g)]), [['TCPSERVERWRAP', at(file, 'LEAK')]], describeGroups(handleGroups(processFor(report, file))));
  });
});
