// The async and listeners profiles (--promises, --listeners) on the fixtures: the
// parked tasks are counted and located at their await, the listeners at their .on(…) line,
// and the fixed twins report none.
import { describe, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describeGroups, leakprofCli, location, markerLine, processFor, profileGroups, runLeakprof, visible, UNTIL_IDLE } from './helpers/leakprof.js';

// A budget no fixture reaches: every promise gets its stack and counts are exact (the default samples floods).
const EXACT = ['--promise-budget', '100000000'];
const FLAGS = ['--promises', ...EXACT, '--listeners', ...UNTIL_IDLE];

/** The one visible group of `profile` at the `// marker` line of `file`. */
function groupAt(proc, profile, file, marker) {
  const where = `${file}:${markerLine(file, marker)}`;
  const groups = visible(profileGroups(proc, profile));
  const found = groups.filter((g) => location(g) === where);
  assert.equal(found.length, 1, `expected one ${profile} group at ${where}, got:\n${describeGroups(groups)}`);
  return found[0];
}

async function assertClean(file, flags = FLAGS) {
  const { report, code, stderr } = await runLeakprof([...flags, file]);
  assert.equal(code, 0, stderr);
  const proc = processFor(report, file);
  for (const name of ['async', 'listeners']) {
    assert.deepEqual(visible(profileGroups(proc, name)), [], `${file} ${name}:\n${describeGroups(profileGroups(proc, name))}`);
  }
  return proc;
}

describe('async and listeners profiles', { concurrency: true }, () => {
  test('timeout-race: every parked sender, in one group at its send line (default budget: sampled)', async () => {
    const file = 'fixtures/timeout-race/leaky.mjs';
    const { report, code, stderr } = await runLeakprof(['--promises', file]);
    assert.equal(code, 0, stderr);
    const parked = Number(/(\d+) senders still in flight/.exec(stderr)?.[1]);
    assert.ok(parked >= 1000, `the fixture parks thousands of senders, it said: ${stderr}`);
    const proc = processFor(report, file);
    const groups = visible(profileGroups(proc, 'async'));
    assert.equal(groups.length, 1, describeGroups(groups));
    const group = groupAt(proc, 'async', file, 'LEAK');
    // Promises made faster than the stack budget are sampled: the count is then an unbiased estimate.
    const tolerance = group.estimated ? Math.ceil(parked * 0.35) : 0;
    assert.ok(Math.abs(group.count - parked) <= tolerance, `${group.count}${group.estimated ? ' (estimated)' : ''} parked reported, ${parked} parked`);
    assert.equal(group.label, 'await');
    assert.equal(group.state, 'pending');
    assert.equal(group.keepsAlive, false, 'a parked promise does not hold the event loop');
    assert.equal(group.top.function, 'getRecommend');
    assert.match(group.source, /await channel\.send/);
    assert.equal(group.createdBy?.top?.function, 'recommend', 'and where the parked function was called (Go\'s "created by")');
    // Sampled: the promise a chain waits on is known when it was sampled too (nearly always, at this count).
    if (group.waitingOn) assert.equal(`${group.waitingOn.top.file}:${group.waitingOn.top.function}`, 'fixtures/timeout-race/channel.mjs:Channel.send');
    assert.ok(group.hint);
  });

  test('timeout-race with every promise stacked: the exact count', async () => {
    const file = 'fixtures/timeout-race/leaky.mjs';
    const { report, stderr } = await runLeakprof([...FLAGS, file]);
    const parked = Number(/(\d+) senders still in flight/.exec(stderr)?.[1]);
    const proc = processFor(report, file);
    const group = groupAt(proc, 'async', file, 'LEAK');
    assert.equal(group.count, parked);
    assert.equal(group.estimated, undefined);
    assert.equal(`${group.waitingOn.top.file}:${group.waitingOn.top.function}`, 'fixtures/timeout-race/channel.mjs:Channel.send');
    assert.equal(proc.promiseCounts.sampled, false);
    assert.ok(proc.promiseCounts.created > parked * 3, JSON.stringify(proc.promiseCounts));
    assert.ok(proc.promiseCounts.stacked > 0 && proc.promiseCounts.stacked <= proc.promiseCounts.created);
  });

  test('timeout-race: both fixed forms park nothing', async () => {
    await assertClean('fixtures/timeout-race/fixed.mjs');
    await assertClean('fixtures/timeout-race/fixed-sync.mjs');
  });

  test('the text report: async profile header, the await line and what it waits on', async () => {
    const file = 'fixtures/timeout-race/leaky.mjs';
    const { stderr, code } = await leakprofCli(['run', '--promises', ...EXACT, file], { env: { REQUESTS: '300' } });
    assert.equal(code, 0);
    assert.match(stderr, /async profile: total \d+\n≈?\d+ @ await pending age/);
    assert.match(stderr, new RegExp(`#\\t${file}:${markerLine(file, 'LEAK')}:\\d+\\tgetRecommend\\t\\| await channel\\.send`));
    assert.match(stderr, /#\twaiting on a promise made by Channel\.send at fixtures\/timeout-race\/channel\.mjs:\d+:\d+/);
    assert.doesNotMatch(stderr, /│ await /, 'the per-type table is about handles');
  });

  test('--debug 2 lists each parked task with its frames', async () => {
    const file = 'fixtures/timeout-race/leaky.mjs';
    const { stderr } = await leakprofCli(['run', '--promises', ...EXACT, '--debug', '2', file], { env: { REQUESTS: '100' } });
    const tasks = stderr.match(/^task \d+ \[await, pending, [^\]]+\]:\ngetRecommend\(\.\.\.\)\n\t.*leaky\.mjs:(\d+):\d+$/gm) ?? [];
    assert.ok(tasks.length >= 10, stderr);
    assert.ok(tasks.every((t) => t.includes(`leaky.mjs:${markerLine(file, 'LEAK')}:`)));
  });

  test('promise-race: the uncleared timer in the handles profile; the race loser parks nobody', async () => {
    const file = 'fixtures/promise-race/leaky.mjs';
    const { report, code } = await runLeakprof(['--promises', ...EXACT, ...UNTIL_IDLE, file]);
    assert.equal(code, 124, 'the 30 s timers keep it running');
    const proc = processFor(report, file);
    const timers = visible(profileGroups(proc, 'handles')).filter((g) => g.type === 'Timeout');
    assert.equal(timers.length, 1, describeGroups(timers));
    assert.equal(timers[0].count, 500);
    assert.equal(location(timers[0]), `${file}:${markerLine(file, 'LEAK')}`);
    // Each race was won and awaited: Promise.race's own .then on the pending timeout is a leftover, not a parked task.
    assert.deepEqual(visible(profileGroups(proc, 'async')), [], describeGroups(profileGroups(proc, 'async')));
    assert.ok(proc.promiseCounts.created > 1000, JSON.stringify(proc.promiseCounts));
  });

  test('promise-race fixed: the timer is cancelled and its promise settles', async () => {
    const proc = await assertClean('fixtures/promise-race/fixed.mjs');
    assert.deepEqual(visible(profileGroups(proc, 'handles')).filter((g) => g.keepsAlive), []);
  });

  test('once-never-emitted: the callers parked at await once(), and once()\'s error listeners', async () => {
    const file = 'fixtures/once-never-emitted/leaky.mjs';
    const { report, stderr } = await runLeakprof([...FLAGS, file]);
    const waiting = Number(/(\d+) still waiting/.exec(stderr)?.[1]);
    assert.equal(waiting, 100);
    const proc = processFor(report, file);
    const parked = groupAt(proc, 'async', file, 'LEAK');
    assert.equal(parked.count, waiting);
    assert.equal(parked.waitingOn.frames.find((f) => f.file !== 'node:<builtin>').function, 'once');
    const listeners = visible(profileGroups(proc, 'listeners'));
    const located = listeners.filter((g) => location(g) === `${file}:${markerLine(file, 'LEAK')}`);
    assert.equal(located.length, 1, describeGroups(listeners));
    assert.equal(located[0].label, "listener 'error' on JobQueue");
    assert.equal(listeners.reduce((n, g) => n + g.count, 0), waiting, 'one error listener per parked caller');
  });

  test('once-never-emitted fixed: nothing parked, no listener left', async () => {
    await assertClean('fixtures/once-never-emitted/fixed.mjs');
  });

  test('listener-per-request: the listeners at the .on line, with the emitter and event', async () => {
    const file = 'fixtures/listener-per-request/leaky.mjs';
    const { report } = await runLeakprof([...FLAGS, file]);
    const proc = processFor(report, file);
    const group = groupAt(proc, 'listeners', file, 'LEAK');
    assert.equal(group.label, "listener 'change' on EventEmitter");
    assert.equal(group.state, 'attached');
    assert.equal(group.top.function, 'handle');
    const all = visible(profileGroups(proc, 'listeners'));
    assert.equal(all.reduce((n, g) => n + g.count, 0), 2000, 'every attached listener is counted');
    assert.ok(group.count >= 2000 - 10, 'all but the first few (added before the event was watched) are located');
  });

  test('listener-per-request fixed: none', async () => {
    await assertClean('fixtures/listener-per-request/fixed.mjs');
  });

  test('without --promises and --listeners there are no such profiles', async () => {
    const file = 'fixtures/timeout-race/leaky.mjs';
    const { report } = await runLeakprof([file], { env: { REQUESTS: '100' } });
    assert.deepEqual(processFor(report, file).profiles.map((p) => p.name), ['handles']);
  });
});

describe('growth over time (--every)', () => {
  test('a group that rises at every sample is flagged with its rate; the text says so', async () => {
    const file = 'fixtures/timeout-race/leaky.mjs';
    const { report, code, stderr } = await runLeakprof(['--promises', '--every', '300ms', '--timeout', '120s', file], {
      env: { REQUESTS: '1500', PAUSE_MS: '100' },
    });
    assert.equal(code, 0, stderr);
    const group = groupAt(processFor(report, file), 'async', file, 'LEAK');
    assert.ok(group.growth, 'flagged as growing');
    assert.ok(group.growth.samples >= 3 && group.growth.to > group.growth.from, JSON.stringify(group.growth));
    assert.ok(group.growth.perSecond > 50, `rate: ${group.growth.perSecond}/s`);
    assert.match(stderr, new RegExp(`growing: \\+[\\d,.]+/s await at ${file}:${markerLine(file, 'LEAK')} `));
  });

  test('growthOf: rising is flagged, flat or noisy is not, two samples are not enough', async () => {
    const { growthOf } = await import('../dist/analyse/growth.js');
    const at = (counts) => counts.map((count, i) => ({ time: i * 1000, count }));
    assert.equal(growthOf(at([10, 20, 30, 40])).perSecond, 10);
    assert.equal(growthOf(at([5000, 5000, 5000, 5000])), undefined, 'large but flat');
    assert.equal(growthOf(at([50, 52, 49, 51, 50])), undefined, 'noise');
    assert.equal(growthOf(at([10, 20])), undefined);
    assert.equal(growthOf(at([40, 30, 20])), undefined, 'shrinking');
  });
});

describe('parked tasks under leakprof check', () => {
  test('check --promises fails on the test that parked a task, naming it and the await line', async () => {
    const file = 'fixtures/suites/node-test-async/leaky.test.mjs';
    const dir = mkdtempSync(join(tmpdir(), 'leakprof-async-'));
    const out = join(dir, 'report.json');
    // -o, not --json: the test runner's TAP owns stdout.
    const { code, stderr } = await leakprofCli(['check', '-o', out, '--promises', '--', process.execPath, '--test', file]);
    const { verdict } = JSON.parse(readFileSync(out, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 1, stderr);
    const parked = verdict.violations.filter((v) => v.kind === 'async');
    assert.equal(parked.length, 1, JSON.stringify(verdict.violations, null, 2));
    assert.equal(parked[0].test, 'parks a task');
    assert.equal(parked[0].location.line, markerLine(file, 'LEAK'));
  });
});
