// The workload untouched, and a report always comes (issue 11): each test runs a real child
// under `leakprof run`/`check` and, where it matters, bare, and compares what the workload did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, leakprofCli, markerLine, runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

const F = 'fixtures/untouched';

/** Runs `args` (a command line) from the repository root; `onOutput(out, child)` sees stdout+stderr as they come. */
function launch(args, { env = {}, onOutput } = {}) {
  return new Promise((resolve, reject) => {
    const e = { ...process.env, ...env };
    for (const name of ['FORCE_COLOR', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) delete e[name];
    e.NO_COLOR = '1';
    // Its own session, away from any terminal the suite runs in: a SIGINT sent here is a `kill`, not a terminal's Ctrl-C.
    const child = spawn(args[0], args.slice(1), { cwd: ROOT, env: e, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    const seen = () => onOutput?.(stdout + stderr, child);
    child.stdout.setEncoding('utf8').on('data', (d) => ((stdout += d), seen()));
    child.stderr.setEncoding('utf8').on('data', (d) => ((stderr += d), seen()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const bare = (args, options) => launch([process.execPath, ...args], options);
const underLeakprof = (args, options) => launch([process.execPath, BIN, ...args], options);

/** A private temp folder, made the system one for leakprof (TMPDIR): what it leaves behind is what is in it. */
function privateTmp(t) {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-untouched-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('fds 0-2 closed (daemon style): the workload exits 0 under leakprof as bare, and is reported', async () => {
  const alone = await bare([`${F}/closes-stdio.mjs`]);
  assert.equal(alone.code, 0);
  const { report, code } = await runLeakprof([`${F}/closes-stdio.mjs`]);
  assert.equal(code, 0, 'no libuv abort (134)');
  const [proc] = report.processes;
  assert.equal(proc.snapshot.reason, 'exit');
  assert.ok(proc.memory.heapUsed > 0, 'memory still measured');
});

test("an exit listener that flushes through a WeakRef (pino's sync:false) still prints under check: leakprof's exit GC comes after it", async () => {
  for (const sameJob of ['0', '1']) {
    const env = { EXIT_IN_SAME_JOB: sameJob };
    const alone = await bare([`${F}/weakref-exit-flush.mjs`], { env });
    const checked = await underLeakprof(['check', '--timeout', '120s', `${F}/weakref-exit-flush.mjs`], { env });
    assert.match(alone.stdout, /^flushed at exit\n/);
    assert.equal(checked.stdout, alone.stdout, `same job ${sameJob}: ${checked.stderr}`);
    assert.equal(checked.code, 0, checked.stderr);
  }
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  test(`${signal} during synchronous work ends the workload at once, as bare: no code after it runs, report marked partial`, async () => {
    const send = (out, child) => {
      if (out.includes('started') && !child.sent) {
        child.sent = true;
        child.kill(signal);
      }
    };
    const alone = await bare([`${F}/sync-work.mjs`, '60000'], { onOutput: send });
    assert.equal(alone.signal, signal);
    const under = await underLeakprof(['run', `${F}/sync-work.mjs`, '60000'], { onOutput: send });
    assert.equal(under.signal, signal, `leakprof ends as the workload did: ${under.stderr}`);
    assert.equal(under.stdout, alone.stdout, 'never "finished"');
    assert.equal(under.stdout, 'started\n');
    assert.match(under.stderr, /note: partial: /);
    assert.match(under.stderr, new RegExp(`the workload ended on ${signal}`));
  });
}

test('--timeout on a blocked loop: its SIGTERM ends it (no JS listener of leakprof holds it until SIGKILL)', async () => {
  const { report, code } = await runLeakprof(['--timeout', '1s', '--grace', '60s', '--', process.execPath, '-e', 'for (;;);']);
  assert.equal(code, 124);
  assert.equal(report.outcome.signal, 'SIGTERM');
  assert.equal(report.processes[0].blocked, true);
});

test('a SIGINT passed on by leakprof reaches a graceful workload once; the outcome says it exited after SIGINT', async () => {
  const send = (out, child) => {
    if (out.includes('ready') && !child.sent) {
      child.sent = true;
      child.kill('SIGINT');
    }
  };
  const under = await underLeakprof(['run', `${F}/graceful.mjs`], { onOutput: send });
  assert.equal(under.stdout, 'ready\ngraceful shutdown\n');
  assert.equal(under.code, 0);
  assert.match(under.stderr, /the workload exited with code 0 after [\d.]+m?s \(it was sent SIGINT\)/);
  assert.doesNotMatch(under.stderr, /ended on null/);
});

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

test('a terminal Ctrl-C reaches the workload once, under leakprof as bare (a real pseudo-terminal)', { skip: !hasScript && 'needs script(1) for a pseudo-terminal' }, async () => {
  // script(1) runs the command on a pty; a ^C written to it is the terminal's Ctrl-C to the foreground group.
  const ctrlC = (out, child) => {
    if (out.includes('ready') && !child.sent) {
      child.sent = true;
      child.stdin.write('\x03');
    }
  };
  // `exec`: script(1) runs the command through $SHELL -c (sh when unset, as in CI); a shell that stayed would get the ^C too and end 130.
  const onPty = (args) => launch(['script', '-qefc', `exec ${args.map((a) => `'${a}'`).join(' ')}`, '/dev/null'], { onOutput: ctrlC });
  const alone = await onPty([process.execPath, `${F}/graceful.mjs`]);
  assert.match(alone.stdout, /graceful shutdown/);
  assert.equal(alone.code, 0);
  const under = await onPty([process.execPath, BIN, 'run', `${F}/graceful.mjs`]);
  assert.match(under.stdout, /graceful shutdown/);
  assert.doesNotMatch(under.stdout, /second Ctrl-C/);
  assert.equal(under.code, 0);
  assert.match(under.stdout, /exited with code 0 after .*\(it was sent SIGINT\)/);
});

test("SIGUSR2 stays the workload's: its handler never fires on --every, --heapsnapshot-signal writes nothing, sending it to itself ends it (140)", async (t) => {
  const cwd = privateTmp(t);
  const { code, stdout, stderr } = await underLeakprof(['run', '--every', '200ms', '--', process.execPath, '--heapsnapshot-signal=SIGUSR2', join(ROOT, F, 'own-usr2.mjs'), '1500'], {
    env: { TMPDIR: cwd },
  });
  assert.equal(code, 0);
  assert.equal(stdout, 'usr2 0\n');
  assert.ok((stderr.match(/the workload is still running \(report after/g) ?? []).length >= 2, stderr);
  assert.doesNotMatch(stderr, /exited with code null/);
  assert.deepEqual(readdirSync(ROOT).filter((f) => f.endsWith('.heapsnapshot')), []);
  assert.deepEqual(readdirSync(cwd), [], 'no heap snapshot, no spool left');
  const alone = await bare([`${F}/signal-self.mjs`, 'SIGUSR2']);
  const under = await underLeakprof(['run', `${F}/signal-self.mjs`, 'SIGUSR2']);
  assert.equal(alone.signal, 'SIGUSR2');
  assert.equal(under.signal, 'SIGUSR2');
});

test('a signal that ends the workload gives 128+N from the OS table, under run and check as in a shell', async () => {
  for (const signal of ['SIGALRM', 'SIGBUS', 'SIGFPE', 'SIGXCPU', 'SIGTRAP']) {
    const alone = await bare([`${F}/signal-self.mjs`, signal]);
    assert.equal(alone.signal, signal);
    const run = await runLeakprof([`${F}/signal-self.mjs`, signal]);
    assert.equal(run.report.outcome.signal, signal);
    const check = await leakprofCli(['check', '--json', `${F}/signal-self.mjs`, signal]);
    const shellCode = spawnSync('sh', ['-c', `"${process.execPath}" ${F}/signal-self.mjs ${signal}`], { cwd: ROOT }).status;
    assert.equal(check.code, shellCode, `${signal}: check exits as a shell reports it`);
    assert.equal(JSON.parse(check.stdout).verdict.exitCode, shellCode);
  }
});

test('out of memory: the report says so, with the memory series up to the end', async () => {
  const { stdout, signal, stderr } = await leakprofCli(['run', '--json', '--', process.execPath, '--max-old-space-size=50', `${F}/oom.mjs`]);
  assert.equal(signal, 'SIGABRT', stderr.slice(-500));
  const report = JSON.parse(stdout);
  assert.equal(report.outcome.signal, 'SIGABRT');
  assert.equal(report.outcome.message, 'ran out of memory');
  const [proc] = report.processes;
  assert.equal(proc.outOfMemory, true);
  assert.equal(proc.partial, true);
  assert.match(proc.notes[0], /^ran out of memory: /);
  const samples = proc.memorySamples;
  assert.ok(samples.length >= 3, JSON.stringify(samples));
  assert.ok(samples.at(-1).heapUsed > 30 * 1024 * 1024, `the series reaches the end: ${JSON.stringify(samples.at(-1))}`);
  const text = await underLeakprof(['run', '--', process.execPath, '--max-old-space-size=50', `${F}/oom.mjs`]);
  assert.match(text.stderr, /ended on SIGABRT after .* \(ran out of memory\)/);
  const check = await underLeakprof(['check', '--', process.execPath, '--max-old-space-size=50', `${F}/oom.mjs`]);
  assert.equal(check.code, 134);
  assert.match(check.stderr, /the workload failed \(it was killed by SIGABRT: ran out of memory\)/);
});

test('Ctrl-C while leakprof reads heap snapshots: a report (marked partial) and no snapshot left behind', async (t) => {
  const tmp = privateTmp(t);
  const interrupt = (out, child) => {
    if (out.includes('heap snapshots of pid') && !child.sent) {
      child.sent = true;
      child.kill('SIGINT');
    }
  };
  const under = await underLeakprof(['run', '--heap', '--heap-snapshots', '200ms,400ms', `${F}/big-heap.mjs`, '1000'], { env: { TMPDIR: tmp }, onOutput: interrupt });
  assert.equal(under.signal, 'SIGINT', under.stderr);
  assert.match(under.stderr, /note: heap leak set: not computed, leakprof was interrupted \(SIGINT\) while reading the heap snapshots/);
  assert.match(under.stderr, /the workload exited with code 0/);
  assert.deepEqual(readdirSync(tmp), [], 'the spool and its snapshots are gone');
});

test('a grandchild that outlives leakprof never recreates the spool folder', async (t) => {
  const tmp = privateTmp(t);
  const { code, stderr } = await underLeakprof(['run', `${F}/outlives.mjs`], { env: { TMPDIR: tmp } });
  assert.equal(code, 0);
  const pid = Number(/grandchild (\d+)/.exec(stderr)?.[1]);
  assert.ok(pid > 0, stderr);
  while (isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(readdirSync(tmp), []);
});

test('the report starts on its own line after a workload stderr line with no newline', async () => {
  const { stderr } = await underLeakprof(['run', `${F}/stderr-no-newline.mjs`]);
  assert.match(stderr, /^progress 100%\n+== pid \d+/);
  const check = await underLeakprof(['check', `${F}/stderr-no-newline.mjs`]);
  assert.match(check.stderr, /^progress 100%\n/);
});

test("a worker thread's WORKER entry carries its threadId", async () => {
  const { report, stderr } = await runLeakprof(['--debug', '2', ...UNTIL_IDLE, `${F}/worker-thread.mjs`]);
  const threadId = Number(/thread (\d+)/.exec(stderr)?.[1]);
  const workers = report.processes[0].profiles.find((p) => p.name === 'handles').groups.filter((g) => g.type === 'WORKER');
  assert.equal(workers.length, 1);
  assert.deepEqual(
    workers[0].entries.map((e) => e.details?.threadId),
    [threadId],
  );
});

test("check sees what a --require'd module left (a listening server), at its line; the fixed twin is clean", async () => {
  const leaky = await leakprofCli(['check', '--json', '--', process.execPath, '--require', `./${F}/server-in-require.cjs`, `${F}/main-exits.mjs`]);
  assert.equal(leaky.code, 1, leaky.stderr);
  const { verdict } = JSON.parse(leaky.stdout);
  assert.equal(verdict.violations.length, 1);
  assert.match(verdict.violations[0].message, new RegExp(`TCPSERVERWRAP listening ref, created at ${F}/server-in-require.cjs:${markerLine(`${F}/server-in-require.cjs`, 'LEAK')}`));
  const fixed = await leakprofCli(['check', '--json', '--', process.execPath, '--require', `./${F}/server-in-require-fixed.cjs`, `${F}/main-exits.mjs`]);
  assert.equal(fixed.code, 0, fixed.stderr);
});

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

