// End to end: each fixture's leaky twin under `leakprof run` shows its leak — type, count and
// the creating file:line — and the fixed twin exits 0 with nothing leaked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGroups, handleGroups, leaks, location, markerLine, processFor, runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

/** Runs the fixed twin and checks it ended by itself with no leak at all. */
async function assertFixedIsClean(name) {
  const file = `fixtures/${name}/fixed.mjs`;
  const { report, code, stderr } = await runLeakprof([...UNTIL_IDLE, file]);
  assert.equal(code, 0, `fixed twin must exit 0 by itself; stderr:\n${stderr}`);
  assert.equal(report.outcome.kind, 'exit');
  const proc = processFor(report, file);
  assert.equal(proc.snapshot.reason, 'exit');
  assert.deepEqual(leaks(proc), [], `fixed twin leaks:\n${describeGroups(leaks(proc))}`);
  return proc;
}

/** The one group at `file:// marker` with `type`; fails listing every group when there is none or several. */
function groupAt(proc, type, file, marker) {
  const where = `${file}:${markerLine(file, marker)}`;
  const found = handleGroups(proc).filter((g) => g.type === type && location(g) === where);
  assert.equal(found.length, 1, `expected one ${type} group at ${where}, got:\n${describeGroups(handleGroups(proc))}`);
  return found[0];
}

describe('fixtures under leakprof run', { concurrency: true }, () => {
  test('client-per-request: one keep-alive socket per undici Client, at the new Client line', async () => {
    const file = 'fixtures/client-per-request/leaky.mjs';
    // The fixture ends with process.exit(0): the report is its state at exit, no --timeout needed.
    const { report, code } = await runLeakprof([file]);
    assert.equal(code, 0);
    assert.equal(report.outcome.kind, 'exit');
    const proc = processFor(report, file);

    // The client sockets: 20, created by the one line that makes a Client per request.
    const clients = groupAt(proc, 'TCPWRAP', file, 'LEAK');
    assert.equal(clients.count, 20);
    assert.equal(clients.top.function, 'fetchOnce');
    assert.equal(clients.top.kind, 'user');
    assert.match(clients.source, /new Client\(origin\)\.request/);
    // undici unrefs an idle keep-alive socket: the leaked sockets do not hold the process.
    assert.equal(clients.state, 'unref');
    assert.equal(clients.keepsAlive, false);
    assert.ok(clients.entries.every((e) => /^(::ffff:)?127\.0\.0\.1:\d+$/.test(e.details?.remote ?? '')), 'each entry names its remote address');

    // The loopback server, deliberately left running (a remote service), and its side of each connection.
    const server = groupAt(proc, 'TCPSERVERWRAP', file, 'SERVER');
    assert.equal(server.count, 1);
    assert.equal(server.keepsAlive, true);
    const accepted = handleGroups(proc).filter((g) => g.type === 'TCPWRAP' && g.state === 'ref');
    assert.equal(accepted.length, 1, describeGroups(handleGroups(proc)));
    assert.equal(accepted[0].count, 20);
    assert.equal(accepted[0].top, null, 'accepted sockets have no user frame of their own');
    assert.equal(location(accepted[0]), `${file}:${markerLine(file, 'SERVER')}`, 'created by the listening server');

    // Nothing undici made per request (UNDICI_REQUEST) is mistaken for something keeping the loop alive.
    assert.deepEqual(leaks(proc).map((g) => g.type).sort(), ['TCPSERVERWRAP', 'TCPWRAP']);
  });

  test('client-per-request: the fixed twin (one Pool, closed) leaves nothing', async () => {
    const proc = await assertFixedIsClean('client-per-request');
    assert.ok(!handleGroups(proc).some((g) => g.type === 'TCPWRAP'), describeGroups(handleGroups(proc)));
  });

  test('worker-group: the removed workers\' intervals, at the setInterval line', async () => {
    const file = 'fixtures/worker-group/leaky.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const proc = processFor(report, file);
    const group = groupAt(proc, 'Timeout', file, 'LEAK');
    assert.equal(group.count, 3, 'three workers were removed without being stopped');
    assert.equal(group.label, 'Timeout 20ms repeat');
    assert.equal(group.state, 'ref');
    assert.equal(group.top.function, 'start');
    assert.deepEqual(leaks(proc), [group], describeGroups(leaks(proc)));
    assert.ok(group.hint.includes('clearInterval'));
  });

  test('worker-group: the fixed twin (abort + wait) leaves nothing', () => assertFixedIsClean('worker-group'));

  test('server-never-closed: the listening server, at the listen line', async () => {
    const file = 'fixtures/server-never-closed/leaky.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const proc = processFor(report, file);
    const group = groupAt(proc, 'TCPSERVERWRAP', file, 'LEAK');
    assert.equal(group.count, 1);
    assert.equal(group.label, 'TCPSERVERWRAP listening');
    assert.equal(group.state, 'ref');
    assert.match(group.entries[0].details.listening, /:\d+$/);
    assert.deepEqual(leaks(proc), [group], describeGroups(leaks(proc)));
  });

  test('server-never-closed: the fixed twin leaves nothing', () => assertFixedIsClean('server-never-closed'));

  test('fs-watch-never-closed: the watcher, at the fs.watch line', async () => {
    const file = 'fixtures/fs-watch-never-closed/leaky.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const proc = processFor(report, file);
    const group = groupAt(proc, 'FSEVENTWRAP', file, 'LEAK');
    assert.equal(group.count, 1);
    assert.equal(group.keepsAlive, true);
    assert.deepEqual(leaks(proc), [group], describeGroups(leaks(proc)));
    assert.ok(group.hint.includes('watcher.close()'));
  });

  test('fs-watch-never-closed: the fixed twin leaves nothing', () => assertFixedIsClean('fs-watch-never-closed'));

  test('module-interval: the interval started at module load', async () => {
    const file = 'fixtures/module-interval/leaky.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const proc = processFor(report, file);
    const group = groupAt(proc, 'Timeout', file, 'LEAK');
    assert.equal(group.count, 1);
    assert.equal(group.label, 'Timeout 1000ms repeat');
    assert.equal(group.state, 'ref');
    assert.deepEqual(leaks(proc), [group], describeGroups(leaks(proc)));
  });

  test('module-interval: the fixed twin\'s interval is unref\'d, shown but not a leak', async () => {
    const proc = await assertFixedIsClean('module-interval');
    const file = 'fixtures/module-interval/fixed.mjs';
    const intervals = handleGroups(proc).filter((g) => g.label === 'Timeout 1000ms repeat');
    assert.equal(intervals.length, 1, describeGroups(handleGroups(proc)));
    assert.equal(intervals[0].state, 'unref');
    assert.equal(intervals[0].keepsAlive, false);
    assert.equal(intervals[0].top.file, file);
  });

  test('child-never-killed: the parent\'s PROCESSWRAP at the spawn line; the child reported on its own', async () => {
    const file = 'fixtures/child-never-killed/leaky.mjs';
    const { report, code } = await runLeakprof([...UNTIL_IDLE, file]);
    assert.equal(code, 124);
    const parent = processFor(report, file);
    const group = groupAt(parent, 'PROCESSWRAP', file, 'LEAK');
    assert.equal(group.count, 1);
    assert.equal(group.state, 'ref');
    assert.match(group.entries[0].details.command, /-e setInterval/);
    assert.deepEqual(leaks(parent), [group], describeGroups(leaks(parent)));

    // The child is a Node process too: instrumented, reported as its own process, a child of the parent.
    const child = report.processes.find((p) => p.pid === group.entries[0].details.pid);
    assert.ok(child, `the child ${group.entries[0].details.pid} is reported; processes: ${report.processes.map((p) => p.pid)}`);
    assert.equal(child.ppid, parent.pid);
    assert.ok(leaks(child).some((g) => g.label === 'Timeout 1000ms repeat'), describeGroups(handleGroups(child)));
  });

  test('child-never-killed: the fixed twin (kill + wait for exit) leaves nothing', () => assertFixedIsClean('child-never-killed'));
});
