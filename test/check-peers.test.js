// The peers' own scenarios (/work/shared/peer-scenarios.md) under `leakprof check`: the
// verdict is the exit code and the violations in the JSON report's `verdict`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markerLine, processFor, UNTIL_IDLE } from './helpers/leakprof.js';
import { check, checkJson, where } from './helpers/check.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;
const messages = (verdict) => verdict.violations.map((v) => v.message).join('\n');

describe('peer scenarios under leakprof check', { concurrency: true }, () => {
  test('2: a server listened at import, then the runner exits -> leak at the listen line, import chain in the stack', async () => {
    const file = 'fixtures/check/02-server-at-import-then-exit.cjs';
    const server = 'fixtures/peers/02-import-chain/server.cjs';
    const { code, verdict, report } = await checkJson([...UNTIL_IDLE, file]);
    assert.equal(code, 1, messages(verdict));
    assert.equal(verdict.status, 'leak');
    assert.deepEqual(where(verdict), [at(server, 'LEAK')], messages(verdict));
    assert.match(verdict.violations[0].message, /^leak: 1 × TCPSERVERWRAP listening ref, created at fixtures\/peers\/02-import-chain\/server\.cjs:\d+ — call server\.close\(\)/);
    const group = processFor(report, file).profiles[0].groups.find((g) => g.type === 'TCPSERVERWRAP');
    const userFrames = group.frames.filter((f) => f.kind === 'user').map((f) => `${f.file}:${f.line}`);
    assert.deepEqual(userFrames.slice(0, 2), [at(server, 'LEAK'), at('fixtures/peers/02-import-chain/app.cjs', 'IMPORT')]);
  });

  test('2: the same server in a workload that never exits -> hang (124), the server listed', async () => {
    const { code, verdict } = await checkJson([...UNTIL_IDLE, 'fixtures/peers/02-server-at-import.cjs']);
    assert.equal(code, 124);
    assert.equal(verdict.status, 'hang');
    assert.deepEqual(where(verdict), [at('fixtures/peers/02-import-chain/server.cjs', 'LEAK')], messages(verdict));
  });

  test('4: server.close(done) and the runner exits in the callback -> no leak', async () => {
    const file = 'fixtures/check/04-close-callback.mjs';
    const { code, verdict } = await checkJson([...UNTIL_IDLE, file]);
    assert.equal(code, 0, messages(verdict));
    assert.deepEqual(verdict.violations, []);
    // --verbose names what was on its way out.
    const closing = verdict.excluded.find((e) => e.why === 'settled' && e.type === 'TCPSERVERWRAP');
    assert.equal(closing?.location, at(file, 'LISTEN'), JSON.stringify(verdict.excluded));
    assert.match(closing.reason, /closed: its destroy event had not arrived yet/);
  });

  test('4 (control): the runner exits with the server still listening -> leak at its line', async () => {
    const file = 'fixtures/check/04-never-closed-then-exit.mjs';
    const { code, verdict } = await checkJson([...UNTIL_IDLE, file]);
    assert.equal(code, 1);
    assert.deepEqual(where(verdict), [at(file, 'LEAK')]);
  });

  test("5: unref'd timer, child and worker -> pass by default", async () => {
    const { code, verdict } = await checkJson([...UNTIL_IDLE, 'fixtures/peers/05-unrefd.mjs']);
    assert.equal(code, 0, messages(verdict));
    const unref = verdict.excluded.filter((e) => e.why === 'unref').map((e) => e.type).sort();
    assert.deepEqual(unref, ['PROCESSWRAP', 'Timeout', 'WORKER'], JSON.stringify(verdict.excluded));
  });

  test("5: with --strict the unref'd ones are leaks, each at its line", async () => {
    const file = 'fixtures/peers/05-unrefd.mjs';
    const { code, verdict } = await checkJson(['--strict', ...UNTIL_IDLE, file]);
    assert.equal(code, 1);
    assert.deepEqual(where(verdict).sort(), [at(file, 'UNREF child'), at(file, 'UNREF timeout'), at(file, 'UNREF worker')].sort(), messages(verdict));
  });

  test('6: randomBytes, monitorEventLoopDelay, dns.Resolver, closed zlib -> pass, even --strict; --verbose says why', async () => {
    const { code, verdict } = await checkJson(['--strict', ...UNTIL_IDLE, 'fixtures/peers/06-benign-builtins.mjs']);
    assert.equal(code, 0, messages(verdict));
    // Still referenced when the process exits: not collected, so the benign table is what passes them.
    const held = 'fixtures/check/06-benign-held.mjs';
    const strictHeld = await checkJson(['--strict', ...UNTIL_IDLE, held]);
    assert.equal(strictHeld.code, 0, messages(strictHeld.verdict));
    const text = await check(['--verbose', ...UNTIL_IDLE, held]);
    assert.equal(text.code, 0);
    assert.match(text.stderr, /not counted \(benign\): 1 × ELDHISTOGRAM .* — an event-loop-delay histogram keeps no process alive/);
    assert.match(text.stderr, /not counted \(benign\): 1 × DNSCHANNEL/);
  });

  test('9: fs.readFile not awaited, natural exit -> pass', async () => {
    const { code, verdict } = await checkJson([...UNTIL_IDLE, 'fixtures/peers/09-readfile-not-awaited.mjs']);
    assert.equal(code, 0, messages(verdict));
  });

  test('9: fs.readFile not awaited, then process.exit -> at most one group, at the read', async () => {
    const file = 'fixtures/check/09-readfile-then-exit.mjs';
    const { code, verdict } = await checkJson([...UNTIL_IDLE, file]);
    assert.ok(verdict.violations.length <= 1, messages(verdict));
    assert.equal(code, verdict.violations.length === 0 ? 0 : 1);
    for (const w of where(verdict)) assert.equal(w, at(file, 'PENDING'));
  });

  test('14: a timer done 50 ms later, the process exits first -> passes within the settle window', async () => {
    const file = 'fixtures/check/14-self-clearing-timer.mjs';
    const { code, verdict } = await checkJson([...UNTIL_IDLE, file]);
    assert.equal(code, 0, messages(verdict));
    assert.ok(verdict.excluded.some((e) => e.why === 'settled' && e.location === at(file, 'SETTLES')), JSON.stringify(verdict.excluded));
    const strict = await checkJson(['--settle', '0', ...UNTIL_IDLE, file]);
    assert.equal(strict.code, 1, 'with no settle window it is a leak');
    assert.deepEqual(where(strict.verdict), [at(file, 'SETTLES')]);
  });

  test('15: process.stdin touched and a lazily loaded builtin -> pass', async () => {
    const { code, verdict } = await checkJson([...UNTIL_IDLE, 'fixtures/peers/15-stdin-and-lazy-builtin.mjs']);
    assert.equal(code, 0, messages(verdict));
  });

  test('16: while (true) -> hang report, exit 124', async () => {
    const { code, stderr } = await check(['--timeout', '10s', '--grace', '200ms', 'fixtures/peers/16-busy-loop.mjs']);
    assert.equal(code, 124);
    assert.match(stderr, /^hang: pid \d+: event loop blocked/m);
    assert.match(stderr, /leakprof check: HANG .*\(exit 124\)/);
  });
});
