// End to end: the `leakprof run` command line — text report, exit codes, errors, output options.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakprofCli, leaks, location, markerLine, processFor, ROOT, runLeakprof, UNTIL_IDLE } from './helpers/leakprof.js';

const WORKERS = 'fixtures/worker-group/leaky.mjs';
const ANSI = /\x1b\[/;

function lines(text) {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('leakprof run on the command line', { concurrency: true }, () => {
  test('the text report (stderr) has the profile header, an `N @` record and the fixture\'s frame', async () => {
    const { code, stdout, stderr } = await leakprofCli(['run', ...UNTIL_IDLE, WORKERS]);
    assert.equal(code, 124);
    assert.equal(stdout, '', 'the report goes to stderr; the workload printed nothing');
    assert.match(stderr, /^handles profile: total \d+$/m);
    assert.match(stderr, /^3 @ Timeout 20ms repeat ref age /m);
    const line = markerLine(WORKERS, 'LEAK');
    assert.match(stderr, new RegExp(`^#\\t${WORKERS.replaceAll('.', '\\.')}:${line}:\\d+\\tstart`, 'm'));
    assert.match(stderr, /the workload was idle for 1\.0s but still running \(--idle\); dumped what kept it alive and ended it/);
    assert.doesNotMatch(stderr, ANSI, 'no colour on a non-TTY');
  });

  test('--debug 2 lists every resource as `handle <id> [`', async () => {
    const { code, stderr } = await leakprofCli(['run', ...UNTIL_IDLE, '--debug', '2', WORKERS]);
    assert.equal(code, 124);
    const handles = stderr.match(/^handle \d+ \[Timeout 20ms repeat, ref, /gm) ?? [];
    assert.equal(handles.length, 3, stderr);
  });

  test('NO_COLOR keeps escapes out even where colour is forced; FORCE_COLOR alone turns it on', async () => {
    const forced = await leakprofCli(['run', ...UNTIL_IDLE, WORKERS], { env: { FORCE_COLOR: '1' } });
    assert.match(forced.stderr, ANSI, 'FORCE_COLOR=1 colours the report (so the check below can fail)');
    const noColor = await leakprofCli(['run', ...UNTIL_IDLE, WORKERS], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.match(noColor.stderr, /^3 @ Timeout 20ms repeat/m);
    assert.doesNotMatch(noColor.stderr, ANSI);
  });

  test('the workload\'s exit code is passed through', async () => {
    const { report, code } = await runLeakprof(['fixtures/cli/exit-3.mjs']);
    assert.equal(code, 3);
    assert.deepEqual(report.outcome, { kind: 'exit', exitCode: 3, signal: null });
    assert.equal(processFor(report, 'fixtures/cli/exit-3.mjs').snapshot.exitCode, 3);
  });

  test('a crashing workload: non-zero exit, its error on stderr, and the report still printed', async () => {
    const file = 'fixtures/cli/throws.mjs';
    const { report, code, stderr } = await runLeakprof([file]);
    assert.notEqual(code, 0);
    assert.equal(report.outcome.exitCode, code);
    assert.match(stderr, /boom from the workload/);
    const proc = processFor(report, file);
    assert.equal(proc.snapshot.reason, 'exit');
    assert.deepEqual(leaks(proc).map((g) => [g.label, location(g)]), [['Timeout 1000ms repeat', `${file}:${markerLine(file, 'LEAK')}`]]);
  });

  test('a crashing workload in text mode still prints the report', async () => {
    const { code, stderr } = await leakprofCli(['run', 'fixtures/cli/throws.mjs']);
    assert.equal(code, 1);
    assert.match(stderr, /boom from the workload/);
    assert.match(stderr, /^1 @ Timeout 1000ms repeat ref/m);
    assert.match(stderr, /the workload exited with code 1/);
  });

  test('a missing script: exit 2, one line naming the path, no stack trace', async () => {
    const { code, stdout, stderr } = await leakprofCli(['run', 'missing.mjs']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /missing\.mjs/);
    assert.doesNotMatch(stderr, /^\s+at /m);
  });

  test('an unknown option: non-zero, a one-line error', async () => {
    const { code, stderr } = await leakprofCli(['run', '--bogus', 'x.mjs']);
    assert.notEqual(code, 0);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /unknown option '--bogus'/);
  });

  test('a command that does not exist: exit 127', async () => {
    const { code, stderr } = await leakprofCli(['run', '--', 'leakprof-no-such-command']);
    assert.equal(code, 127);
    assert.match(stderr, /command not found: leakprof-no-such-command/);
    assert.doesNotMatch(stderr, /^\s+at /m);
  });

  test('a command that is not Node: exit 2, saying no Node process ran', async () => {
    const { code, stderr } = await leakprofCli(['run', '--', 'true']);
    assert.equal(code, 2);
    assert.match(stderr, /no Node\.js process ran/);
  });

  test('--help and --version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const version = await leakprofCli(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), pkg.version);
    const help = await leakprofCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: leakprof/);
    assert.match(help.stdout, /^\s+run \[options\]/m);
    const runHelp = await leakprofCli(['run', '--help']);
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stdout, /Usage: leakprof run/);
    assert.match(runHelp.stdout, /--timeout <duration>/);
  });

  test('-o out.json writes the JSON report; -o out.txt the plain text one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakprof-test-'));
    try {
      const json = join(dir, 'out.json');
      const a = await leakprofCli(['run', ...UNTIL_IDLE, '-o', json, WORKERS]);
      assert.equal(a.code, 124);
      assert.equal(a.stdout, '');
      assert.match(a.stderr, /report written to/);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      assert.equal(report.schema, 'leakprof.report/v1');
      assert.equal(report.tool.name, 'leakprof');
      assert.deepEqual(leaks(processFor(report, WORKERS)).map((g) => g.count), [3]);

      const text = join(dir, 'out.txt');
      const b = await leakprofCli(['run', ...UNTIL_IDLE, '-o', text, WORKERS], { env: { FORCE_COLOR: '1' } });
      assert.equal(b.code, 124);
      const written = readFileSync(text, 'utf8');
      assert.match(written, /^3 @ Timeout 20ms repeat ref/m);
      assert.doesNotMatch(written, ANSI, 'a file never gets colour');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the JSON report has the documented top-level shape', async () => {
    const { report } = await runLeakprof(['fixtures/cli/exit-3.mjs']);
    assert.equal(report.schema, 'leakprof.report/v1');
    assert.deepEqual(report.command.slice(1), ['fixtures/cli/exit-3.mjs']);
    assert.equal(report.cwd, ROOT.replace(/\/$/, ''));
    assert.ok(!Number.isNaN(Date.parse(report.startedAt)));
    assert.equal(report.processes.length, 1);
    const [proc] = report.processes;
    assert.equal(proc.nodeVersion, process.version);
    assert.deepEqual(proc.profiles.map((p) => p.name), ['handles']);
  });
});
