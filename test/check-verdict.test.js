// The verdict model (README and docs/check.md, "What counts"): a process that ended itself is judged on what is
// still open and holds something; closed or never-opened handles, requests in flight at exit,
// and promises pending when the process called process.exit() are only reported. One leak seen
// in many processes and through many callers is one line. Each fixture runs for real.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { markerLine } from './helpers/leakprof.js';
import { checkJson, check, checkToFile, where } from './helpers/check.js';

const at = (file, marker) => `${file}:${markerLine(file, marker)}`;
const messages = (verdict) => verdict.violations.map((v) => v.message).join('\n');

describe('what counts when the process ended itself', { concurrency: true }, () => {
  test("a worker and an interval unref'd while it runs, ref'd again by its own exit listener (pino's transport) -> pass: judged as the exit began", async () => {
    const { code, verdict, report } = await checkJson(['--timeout', '120s', 'fixtures/check/ref-at-exit.mjs']);
    assert.equal(code, 0, messages(verdict));
    const handles = report.processes[0].profiles.find((p) => p.name === 'handles').groups;
    assert.equal(handles.find((g) => g.type === 'WORKER')?.state, 'unref');
    assert.equal(handles.find((g) => g.label === 'Timeout 60000ms repeat')?.state, 'unref');
  });

  test('a server process its parent ends (SIGTERM, SIGKILL) once ready -> pass: it ended before the run, by its owner', async () => {
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      const { code, verdict, report } = await checkJson(['--timeout', '120s', 'fixtures/check/child-ended-by-parent/killed.mjs'], { env: { KILL_SIGNAL: signal } });
      assert.equal(code, 0, `${signal}: ${messages(verdict)}`);
      const server = report.processes.find((p) => p.argv.some((a) => a.endsWith('server.mjs')));
      assert.ok(server, 'the server process is in the report');
      assert.notEqual(server.snapshot.reason, 'exit', 'it had no exit of its own');
      // What its last heartbeat saw (if one came before the kill) is said, never counted.
      const mine = verdict.excluded.filter((e) => e.pid === server.pid && e.type !== 'PIPEWRAP' && e.why !== 'internal' && e.why !== 'benign');
      assert.ok(mine.every((e) => e.why === 'unfinished'), JSON.stringify(mine));
    }
  });

  test('a server process left running after the harness exits -> its socket and interval, as it stands at the end', async () => {
    const file = 'fixtures/check/child-ended-by-parent/server.mjs';
    const result = await checkToFile(['node', 'fixtures/check/child-ended-by-parent/left-running.mjs']);
    const pid = Number(/server pid (\d+)/.exec(result.stdout)?.[1]);
    try {
      assert.equal(result.code, 1, messages(result.verdict));
      const lines = result.verdict.violations.map((v) => `${v.location?.file}:${v.location?.line}`).sort();
      assert.deepEqual(lines, [at(file, 'SERVER'), at(file, 'TICK')].sort(), messages(result.verdict));
      assert.equal(result.report.processes.find((p) => p.pid === pid)?.snapshot.reason, 'request', 'asked at the end, not read off an old heartbeat');
    } finally {
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
  });

  test('TLS server and client both closed, natural exit -> pass', async () => {
    const { code, verdict, report } = await checkJson(['--timeout', '120s', 'fixtures/check/tls/closed.mjs']);
    assert.equal(code, 0, messages(verdict));
    assert.equal(report.processes[0].snapshot.exitHow, 'natural');
  });

  test('TLS client left open, process.exit -> the connection at tls.connect, once (not again as its TCPWRAP)', async () => {
    const file = 'fixtures/check/tls/left-open.mjs';
    const { code, verdict, report } = await checkJson(['--timeout', '120s', file]);
    assert.equal(code, 1);
    assert.equal(report.processes[0].snapshot.exitHow, 'exit-call');
    const client = verdict.violations.filter((v) => v.location && `${v.location.file}:${v.location.line}` === at(file, 'LEAK client'));
    assert.deepEqual(client.map((v) => `${v.type} ${v.state}`), ['TLSWRAP ref'], messages(verdict));
    assert.ok(!verdict.violations.some((v) => v.type === 'TCPWRAP'), messages(verdict));
  });

  test('a socket whose lookup never answers (no fd), natural exit -> pass; --verbose says it holds nothing', async () => {
    const file = 'fixtures/check/unopened-socket.mjs';
    const { code, verdict, report } = await checkJson(['--timeout', '120s', file]);
    assert.equal(code, 0, messages(verdict));
    const group = report.processes[0].profiles[0].groups.find((g) => g.type === 'TCPWRAP');
    assert.equal(group.keepsAlive, false);
    assert.match(group.hint, /^a socket with no file descriptor/);
    assert.deepEqual(report.processes[0].crossCheck.filter((x) => x.type === 'TCPWRAP'), [], 'Node lists it by its ref flag: not a disagreement');
    const seen = verdict.excluded.find((e) => e.type === 'TCPWRAP');
    assert.equal(seen?.why, 'holds-nothing', JSON.stringify(verdict.excluded));
    assert.equal(seen.state, 'unopened');
    assert.equal(seen.location, at(file, 'UNOPENED'));
    const text = await check(['--verbose', '--timeout', '120s', file]);
    assert.match(text.stderr, /not counted \(holds-nothing\): 1 × TCPWRAP unopened at .* — a socket with no file descriptor/);
  });

  test('its twin: a connected socket left open at process.exit -> fails at the connect line', async () => {
    const file = 'fixtures/check/socket-open-then-exit.mjs';
    const { code, verdict } = await checkJson(['--timeout', '120s', file]);
    assert.equal(code, 1);
    assert.ok(where(verdict).includes(at(file, 'LEAK client')), messages(verdict));
  });

  test('a watcher, a poller and a UDP socket closed, then process.exit in the same turn -> pass; left open -> one violation each', async () => {
    const closed = await checkJson(['--timeout', '120s', 'fixtures/check/closed-then-exit.mjs']);
    assert.equal(closed.code, 0, messages(closed.verdict));
    const file = 'fixtures/check/open-then-exit.mjs';
    const open = await checkJson(['--timeout', '120s', file]);
    assert.equal(open.code, 1);
    assert.deepEqual(where(open.verdict).sort(), [at(file, 'LEAK udp'), at(file, 'LEAK watch'), at(file, 'LEAK poll')].sort(), messages(open.verdict));
  });

  test('a UDP socket read across heartbeats: no deprecation warning in the workload\'s stderr', async () => {
    const { code, stderr } = await check(['--timeout', '120s', 'fixtures/check/udp-heartbeats.mjs']);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /DEP0112|DeprecationWarning/);
  });

  test('fs.readFile in flight at process.exit -> pass; the request is reported, not counted', async () => {
    const file = 'fixtures/check/09-readfile-then-exit.mjs';
    const { code, verdict } = await checkJson(['--timeout', '120s', file]);
    assert.equal(code, 0, messages(verdict));
    for (const e of verdict.excluded.filter((x) => x.type === 'FSREQCALLBACK')) {
      assert.equal(e.why, 'exited');
      assert.match(e.reason, /in flight when the process called process\.exit\(\)/);
    }
  });
});

describe('parked means parked (--promises)', { concurrency: true }, () => {
  for (const file of ['fixtures/check/promises/exit-in-main.mjs', 'fixtures/check/promises/exit-in-main.cjs']) {
    test(`an async main that calls process.exit() is not parked: ${file}`, async () => {
      const { code, verdict } = await checkJson(['--promises', '--timeout', '120s', file]);
      assert.equal(code, 0, messages(verdict));
      const pending = verdict.excluded.filter((e) => e.kind === 'async' && e.location?.startsWith(file));
      assert.ok(pending.length > 0, `reported under --verbose: ${JSON.stringify(verdict.excluded)}`);
      for (const e of pending) assert.equal(e.why, 'exited');
    });
  }

  test('racing work against a timeout whose timer is cleared -> pass (the losers are garbage, not parked)', async () => {
    const { code, verdict, report } = await checkJson(['--promises', '--timeout', '60s', 'fixtures/check/promises/race-cleared-timer.mjs']);
    assert.equal(code, 0, messages(verdict));
    assert.equal(report.processes[0].snapshot.exitHow, 'natural');
  });

  test('100k async functions parked forever, their promises kept -> every one counted, none as collected', async () => {
    const file = 'fixtures/check/promises/parked-kept.mjs';
    const { code, verdict, report } = await checkJson(['--promises', '--timeout', '120s', file]);
    assert.equal(code, 1);
    const parked = verdict.violations.filter((v) => v.kind === 'async');
    assert.equal(parked.length, 1, messages(verdict));
    assert.equal(`${parked[0].location.file}:${parked[0].location.line}`, at(file, 'LEAK parked'));
    // Sampled above the stack budget: an estimate, but of all of them.
    assert.ok(parked[0].count > 50_000 && parked[0].count < 200_000, parked[0].message);
    assert.equal(report.processes[0].promiseCounts.abandoned, 0);
  });
});

describe('one line per leak', () => {
  test('one leak in 4 helper processes, through two callers -> one violation per line, naming the processes', async () => {
    const main = 'fixtures/check/helpers/main.mjs';
    const request = 'fixtures/check/helpers/request.mjs';
    const { code, verdict } = await checkJson(['--timeout', '120s', main]);
    assert.equal(code, 1);
    const lines = where(verdict);
    assert.equal(lines.length, new Set(lines).size, `one violation per line:\n${messages(verdict)}`);
    const leak = verdict.violations.find((v) => v.location && `${v.location.file}:${v.location.line}` === at(request, 'LEAK'));
    assert.ok(leak, messages(verdict));
    assert.equal(leak.pids.length, 4);
    assert.equal(leak.count, 4);
    assert.match(leak.message, /^leak: 4 processes: 1 × TCPWRAP ref, created at .* \[pids \d+, \d+, \d+, \d+\] — /);
    const text = await check(['--timeout', '120s', main]);
    assert.equal(text.stderr.split('\n').filter((l) => l.startsWith('leak:')).length, verdict.violations.length);
  });

  test('groups with no creation stack: one violation per type and state, not one per group and process', async () => {
    const { code, verdict } = await checkJson(['--stacks', 'none', '--timeout', '120s', 'fixtures/check/helpers/main.mjs']);
    assert.equal(code, 1);
    assert.equal(verdict.violations.length, 1, messages(verdict));
    const [leak] = verdict.violations;
    assert.equal(leak.pids.length, 4);
    assert.equal(leak.count, 8, 'each helper: its client socket and the one its server accepted');
    assert.match(leak.message, /^leak: 4 processes: 2 × TCPWRAP ref, no creation stack/);
  });
});

test("a runner's worker that died mid-test (no exit snapshot): what its last heartbeat saw is unfinished work, never a leak", async () => {
  const file = 'fixtures/check/runner-killed/killed.test.mjs';
  // node --test's TAP is on stdout: the report goes to a file.
  const out = join(mkdtempSync(join(tmpdir(), 'leakprof-killed-')), 'report.json');
  const { code, stderr } = await check(['--timeout', '120s', '-o', out, '--', process.execPath, '--test', file]);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  const { verdict } = report;
  rmSync(dirname(out), { recursive: true, force: true });
  assert.ok(stderr.includes('the workload failed'), stderr);
  assert.equal(code, 1, 'node --test failed the file: its own exit code');
  assert.deepEqual(verdict.violations.map((v) => v.message), []);
  const worker = report.processes.find((p) => p.argv.some((a) => a.endsWith('killed.test.mjs')) && p.testRunner === 'node:test');
  assert.ok(worker, report.processes.map((p) => `${p.argv.join(' ')} [${p.testRunner}]`).join('\n'));
  if (worker.snapshot.reason === 'heartbeat') {
    assert.ok(verdict.excluded.some((e) => e.why === 'unfinished' && e.type === 'TCPSERVERWRAP'), JSON.stringify(verdict.excluded));
  }
});
