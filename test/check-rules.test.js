// Ignore rules and globs, the policy parser: the small pure parts of check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesGlob } from '../dist/util/glob.js';
import { matchesRule, parseIgnoreRule } from '../dist/check/ignore-rules.js';
import { PolicyError, resolvePolicy } from '../dist/check/policy.js';

const group = (type, frames, extra = {}) => ({ type, label: type, state: 'ref', frames, top: frames.find((f) => f.kind === 'user') ?? null, ...extra });
const frame = (file, fn, kind = 'user') => ({ file, function: fn, line: 1, column: 1, kind });

test('globs: ** crosses folders, * and ? do not', () => {
  assert.ok(matchesGlob('node_modules/pino/lib/tools.js', 'node_modules/pino/**'));
  assert.ok(matchesGlob('node_modules/x.js', 'node_modules/**/x.js'));
  assert.ok(!matchesGlob('node_modules/pino/lib/tools.js', 'node_modules/pino/*'));
  assert.ok(matchesGlob('test/a.test.js', 'test/?.test.js'));
  assert.ok(!matchesGlob('test/ab.test.js', 'test/?.test.js'));
  assert.ok(matchesGlob('a.b', 'a.b') && !matchesGlob('axb', 'a.b'));
});

test('rules: type, Type@glob (own or created-by frames), fn: top function, anyfn:', () => {
  const pino = group('Timeout', [frame('node:timers', 'setTimeout', 'node'), frame('node_modules/pino/lib/x.js', 'flush', 'dependency'), frame('src/log.js', 'makeLogger')]);
  assert.ok(matchesRule(pino, parseIgnoreRule('Timeout')));
  assert.ok(matchesRule(pino, parseIgnoreRule('Time*')));
  assert.ok(!matchesRule(pino, parseIgnoreRule('TCPWRAP')));
  assert.ok(matchesRule(pino, parseIgnoreRule('Timeout@node_modules/pino/**')));
  assert.ok(matchesRule(pino, parseIgnoreRule('*@src/*.js')));
  assert.ok(!matchesRule(pino, parseIgnoreRule('TCPWRAP@node_modules/pino/**')));
  assert.ok(matchesRule(pino, parseIgnoreRule('fn:flush')), 'top function: innermost frame outside Node');
  assert.ok(!matchesRule(pino, parseIgnoreRule('fn:makeLogger')));
  assert.ok(matchesRule(pino, parseIgnoreRule('anyfn:makeLogger')));
  const byAncestor = group('TCPWRAP', [frame('node:net', 'connect', 'node')], { createdBy: { asyncId: 3, frames: [frame('src/db.js', 'connectDb')], top: frame('src/db.js', 'connectDb') } });
  assert.ok(matchesRule(byAncestor, parseIgnoreRule('TCPWRAP@src/db.js')));
  assert.ok(matchesRule(byAncestor, parseIgnoreRule('fn:connectDb')));
  assert.throws(() => parseIgnoreRule('fn:'), /incomplete/);
  assert.throws(() => parseIgnoreRule(' '), /empty/);
});

test('policy: defaults, sizes and durations, bad values are one clear error', () => {
  const p = resolvePolicy();
  assert.deepEqual(p.limits, { handles: 0, async: 0, listeners: 0 });
  assert.equal(p.maxHeapGrowth, null);
  assert.equal(p.settleMs, 300);
  assert.deepEqual([...p.failOn], ['handles', 'async', 'listeners', 'fds', 'heap']);
  const q = resolvePolicy({ maxHeapGrowth: '20MB', settle: '1s', failOn: 'handles, heap', maxHandles: 2 });
  assert.equal(q.maxHeapGrowth, 20 * 1024 * 1024);
  assert.equal(q.settleMs, 1000);
  assert.deepEqual([...q.failOn], ['handles', 'heap']);
  assert.equal(q.limits.handles, 2);
  assert.throws(() => resolvePolicy({ maxHandles: -1 }), PolicyError);
  assert.throws(() => resolvePolicy({ settle: 'soon' }), /--settle: invalid duration/);
  assert.throws(() => resolvePolicy({ maxHeapGrowth: 'lots' }), /--max-heap-growth: invalid size/);
});

test('judge: the one-line message names the test when the report attributes one; exit codes by outcome', async () => {
  const { judge } = await import('../dist/check/judge.js');
  const top = { file: 'test/db.test.js', line: 41, column: 5, function: 'connect', kind: 'user' };
  const proc = {
    pid: 7,
    snapshot: { reason: 'exit' },
    notes: [],
    profiles: [{ name: 'handles', total: 3, groups: [{ count: 3, type: 'TCPWRAP', label: 'TCPWRAP', state: 'ref', keepsAlive: true, internal: false, frames: [top], top, entries: [], test: 'reconnects', hint: 'a socket still open: close the socket or the client that owns it' }] }],
  };
  const { verdict } = judge([proc], resolvePolicy());
  assert.equal(verdict.violations[0].message, 'leak: 3 × TCPWRAP ref, created at test/db.test.js:41 (in test "reconnects") — close the socket or the client that owns it');
  assert.equal(verdict.violations[0].test, 'reconnects');
  assert.equal(verdict.exitCode, 1);
  assert.equal(judge([proc], resolvePolicy(), { kind: 'timeout', exitCode: null, signal: 'SIGTERM' }).verdict.exitCode, 124);
  assert.equal(judge([proc], resolvePolicy(), { kind: 'exit', exitCode: 5, signal: null }).verdict.exitCode, 5);
  assert.equal(judge([proc], resolvePolicy(), { kind: 'signal', exitCode: null, signal: 'SIGKILL' }).verdict.exitCode, 137);
  assert.equal(judge([proc], resolvePolicy({ maxHandles: 3 }), { kind: 'exit', exitCode: 0, signal: null }).verdict.exitCode, 0);
});
