// Bad input never gets through, and the outputs never lose the report: output paths checked
// before the workload starts (and a write that fails after it prints the report instead),
// durations Node's timers cannot hold, damaged reports, gzip bombs, heap snapshots that are not
// one process's in order, config files from an untrusted clone, a folder given as the script.
// Each runs the CLI as a user does and asserts the one line, the exit code, and what did not run.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkIn, ROOT } from './helpers/check.js';
import { leakprofCli } from './helpers/leakprof.js';

const REMOVES = 'fixtures/bad-input/removes-folder.mjs';
const CLEAN = 'fixtures/check/exit-clean.mjs';
const made = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-badinput-'));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** One line on stderr, starting `leakprof: `, no stack. */
function oneLine(stderr, pattern) {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  assert.match(lines[0], /^leakprof: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /\n\s+at |TypeError|RangeError/);
}

describe('output paths (issue 11 item 9)', { concurrency: true }, () => {
  test('-o, --junit, --baseline into a missing folder or onto a folder: one line, exit 2, the workload never started', async () => {
    const dir = tmp();
    const cases = [
      [['run', '-o', join(dir, 'missing', 'r.json')], /-o .*missing.*r\.json: the folder .*missing does not exist/],
      [['run', '-o', dir], /-o .* is a folder: give a file name in it/],
      [['run', '--pprof', join(dir, 'missing', 'p.pb.gz')], /--pprof .*: the folder .*missing does not exist/],
      [['check', '--junit', join(dir, 'missing', 'j.xml')], /--junit .*j\.xml: the folder .*missing does not exist/],
      [['check', '-o', dir], /-o .* is a folder/],
      [['check', '--baseline', join(dir, 'missing', 'b.json')], /--baseline .*b\.json: the folder .*missing does not exist/],
    ];
    for (const [args, pattern] of cases) {
      const { code, stdout, stderr } = await leakprofCli([...args, REMOVES, join(dir, 'never-removed')]);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.equal(stdout, '', 'the workload did not run');
      oneLine(stderr, pattern);
    }
    assert.ok(existsSync(dir));
  });

  test('a write that fails after the run: the report goes to stderr and the exit code stays the workload\'s (run) or the verdict\'s (check)', async () => {
    const dir = tmp();
    const out = join(dir, 'gone');
    mkdirSync(out);
    const run = await leakprofCli(['run', '-o', join(out, 'report.txt'), REMOVES, out, '3']);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, 'workload ran\n');
    assert.match(run.stderr, /^leakprof: -o .*report\.txt: cannot write it \(ENOENT\); the report follows on stderr$/m);
    assert.match(run.stderr, /^1 @ TCPSERVERWRAP listening ref/m, 'the report itself');

    mkdirSync(out);
    const check = await leakprofCli(['check', '-o', join(out, 'report.json'), '--junit', join(out, 'junit.xml'), REMOVES, out, '0']);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stderr, /-o .*report\.json: cannot write it \(ENOENT\); the report follows on stderr/);
    assert.match(check.stderr, /"schema": "leakprof\.report\/v2"/, 'the JSON it would have written');
    assert.match(check.stderr, /--junit .*junit\.xml: cannot write it \(ENOENT\); the verdict above stands \(exit 1\)/);
    assert.match(check.stderr, /leakprof check: FAIL — 1 violation \(exit 1\)/);
  });
});

describe('durations (item 12)', { concurrency: true }, () => {
  test('600h (more than a Node timer holds), --timeout 0, --every 0: one line naming the flag and the range, exit 2', async () => {
    for (const [args, pattern] of [
      [['run', '--timeout', '600h'], /--timeout: duration "600h" is longer than 596h31m \(2\^31-1 ms\), the longest timer Node has/],
      [['check', '--timeout', '600h'], /--timeout: duration "600h" is longer than 596h31m/],
      [['run', '--grace', '1000h'], /--grace: duration "1000h" is longer than 596h31m/],
      [['run', '--timeout', '0'], /--timeout 0: must be more than 0 \(leave --timeout out to turn it off\); durations go from 1ms to 596h31m/],
      [['run', '--every', '0'], /--every 0: must be more than 0/],
      [['check', '--timeout', '0s'], /--timeout 0s: must be more than 0/],
    ]) {
      const { code, stdout, stderr } = await leakprofCli([...args, CLEAN]);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.equal(stdout, '', 'the workload did not run');
      oneLine(stderr, pattern);
    }
  });

  test('the longest timeout Node holds (596h) is a long timeout: the workload runs to its own end, no TimeoutOverflowWarning', async () => {
    const { code, stdout, stderr } = await leakprofCli(['run', '--timeout', '596h', '--every', '596h', CLEAN]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'workload stdout\n');
    assert.doesNotMatch(stderr, /TimeoutOverflowWarning|killed|timeout/i);
    assert.match(stderr, /snapshot at exit, code 0/);
  });
});

describe('leakprof report input (items 13, 14)', { concurrency: true }, () => {
  test('a JSON report with a field of the wrong shape: one line naming the file and the field, exit 2', async () => {
    const dir = tmp();
    const good = join(dir, 'good.json');
    const made = await leakprofCli(['run', '-o', good, 'fixtures/check/mixed-leaks.mjs']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal((await leakprofCli(['report', good])).code, 0, 'the control reads');
    const report = JSON.parse(readFileSync(good, 'utf8'));
    const cases = [
      [(r) => (r.processes[0].profiles = undefined), /processes\[0\]\.profiles: expected a list, got nothing \(the field is missing\)/],
      [(r) => (r.processes[0].profiles[0].groups[0].count = '3'), /processes\[0\]\.profiles\[0\]\.groups\[0\]\.count: expected a number, got "3"/],
      [(r) => (r.processes[0].profiles[0].groups[0].frames = {}), /processes\[0\]\.profiles\[0\]\.groups\[0\]\.frames: expected a list, got an object/],
      [(r) => (r.outcome = null), /outcome: expected an object, got null/],
      [(r) => (r.processes = [42]), /processes\[0\]: expected an object, got 42/],
      [(r) => (r.processes[0].memory.rss = 'lots'), /processes\[0\]\.memory\.rss: expected a number/],
    ];
    for (const [mutate, pattern] of cases) {
      const copy = structuredClone(report);
      mutate(copy);
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(copy));
      for (const args of [['report', file], ['report', good, '--base', file]]) {
        const { code, stdout, stderr } = await leakprofCli(args);
        assert.equal(code, 2, stderr);
        assert.equal(stdout, '');
        oneLine(stderr, pattern);
        assert.match(stderr, /bad\.json: /);
      }
    }
  });

  test('a gzip bomb is stopped at the inflate limit (256MB, or --max-inflated), not inflated whole', async () => {
    const dir = tmp();
    const bomb = join(dir, 'bomb.pb.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(260 * 2 ** 20), { level: 9 }));
    const big = await leakprofCli(['report', bomb]);
    assert.equal(big.code, 2);
    oneLine(big.stderr, /bomb\.pb\.gz: inflates to more than 268435456 bytes \(256 MB\), the limit for gzipped input; raise it with --max-inflated <size>/);
    const small = join(dir, 'small.pb.gz');
    writeFileSync(small, gzipSync(Buffer.alloc(4 * 2 ** 20)));
    const limited = await leakprofCli(['report', '--max-inflated', '1MB', small]);
    assert.equal(limited.code, 2);
    oneLine(limited.stderr, /small\.pb\.gz: inflates to more than 1048576 bytes \(1 MB\)/);
    // Raised: the same file gets through to the decoder, which says what it is not.
    const raised = await leakprofCli(['report', '--max-inflated', '8MB', small]);
    assert.equal(raised.code, 2);
    oneLine(raised.stderr, /small\.pb\.gz: not a pprof profile/);
    const real = await leakprofCli(['report', '--max-inflated', '1MB', 'fixtures/pprof-testdata/go.heap.pb.gz']);
    assert.equal(real.code, 0, real.stderr);
  });
});

describe('heap snapshots that are not one process\'s, oldest first (item 15)', () => {
  const dir = tmp();
  const take = (name) => {
    const sub = join(dir, name);
    mkdirSync(sub);
    const child = spawnSync(process.execPath, [join(ROOT, 'fixtures/bad-input/three-snapshots.mjs')], { cwd: sub, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    return child.stdout.trim().split('\n').map((f) => join(sub, f));
  };
  const heap = (files) => leakprofCli(['heap', ...files]);

  test('the same file three times, or the same snapshot under two names: one line, exit 2', async () => {
    const [a, , c] = take('same');
    const same = await heap([a, a, a]);
    assert.equal(same.code, 2);
    oneLine(same.stderr, /are the same file: give three different snapshots of one process, oldest first/);
    const copy = join(dir, 'copy.heapsnapshot');
    copyFileSync(a, copy);
    const twin = await heap([a, copy, c]);
    assert.equal(twin.code, 2);
    oneLine(twin.stderr, /are the same snapshot \(same objects, same sizes\)/);
  });

  test('reversed: by Node\'s file names, and by object ids when renamed; the right order finds the kept objects', async () => {
    const files = take('order');
    const ok = await leakprofCli(['heap', '--json', ...files]);
    assert.equal(ok.code, 0, ok.stderr);
    const kept = JSON.parse(ok.stdout).groups.find((g) => g.name === 'Object');
    assert.equal(kept?.count, 2000, `the control, oldest first: the 2000 objects kept between the first and second snapshot\n${ok.stdout}`);
    const byName = await heap([...files].reverse());
    assert.equal(byName.code, 2);
    oneLine(byName.stderr, /was taken before .* \(by their names\): give the snapshots oldest first/);
    const renamed = files.map((f, i) => {
      const to = join(dir, `renamed-${i}.heapsnapshot`);
      copyFileSync(f, to);
      return to;
    });
    const byIds = await heap([renamed[2], renamed[1], renamed[0]]);
    assert.equal(byIds.code, 2);
    oneLine(byIds.stderr, /renamed-1\.heapsnapshot looks older than .*renamed-2\.heapsnapshot .*by their ids\): give the snapshots oldest first/);
  });

  test('the id check on a program at rest: synthetic nodes with small ids in one snapshot only are no sign of order (Node 24, seen in CI)', async () => {
    const { checkSnapshotPair, SnapshotOrderError } = await import('../dist/analyse/heap/snapshot-order.js');
    const ids = (...ranges) => Uint32Array.from(ranges.flatMap(([from, to]) => Array.from({ length: (to - from) / 2 + 1 }, (_, i) => from + 2 * i)));
    // Both hold objects 1001..99999; the first also 175 that died (ids 7001..7349), the second
    // 79 synthetic nodes with small ids (101..257) and 18 objects first seen by it (100001..100035).
    const first = { file: 'a', totalBytes: 1, ids: ids([1001, 7001 - 2], [7001, 7349], [7351, 99999]) };
    const second = { file: 'b', totalBytes: 2, ids: ids([101, 257], [1001, 7001 - 2], [7351, 99999], [100001, 100035]) };
    assert.doesNotThrow(() => checkSnapshotPair(first, second), 'oldest first: no error');
    assert.throws(() => checkSnapshotPair(second, first), (e) => e instanceof SnapshotOrderError && /a looks older than b \(18 objects b holds are newer/.test(e.message));
  });

  test('heap -o into a missing folder: one line, exit 2, before any snapshot is read', async () => {
    const files = take('output');
    const { code, stdout, stderr } = await heap([...files, '-o', join(dir, 'missing', 'leaks.json')]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    oneLine(stderr, /-o .*leaks\.json: the folder .*missing does not exist/);
  });

  test('two processes, by Node\'s file names: one line naming both pids, exit 2', async () => {
    const one = take('p1');
    const two = take('p2');
    const { code, stderr } = await heap([one[0], two[1], one[2]]);
    assert.equal(code, 2);
    oneLine(stderr, /the snapshots come from different processes \(pids \d+, \d+, by their names\)/);
  });
});

describe('config files from a clone (item 16)', { concurrency: true }, () => {
  const fixture = join(ROOT, CLEAN);
  const withConfig = async (config, args = []) => {
    const dir = tmp();
    writeFileSync(join(dir, 'leakprof.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
    return { dir, ...(await checkIn(dir, [...args, fixture])) };
  };

  test('errors name the key and the file, never a flag the user did not type', async () => {
    for (const [config, pattern] of [
      [{ maxHandles: -1 }, /^leakprof: leakprof\.config\.json: "maxHandles" must be a whole number \(0 or more\), got -1$/],
      ['{"__proto__": 1}', /^leakprof: leakprof\.config\.json: unknown option "__proto__" \(known: maxHandles,/],
      [{ constructor: 1 }, /unknown option "constructor"/],
      [{ timeout: '0' }, /"timeout": must be more than 0/],
      [{ timeout: '600h' }, /"timeout": duration "600h" is longer than 596h31m/],
      [{ settle: 'soon' }, /"settle": invalid duration "soon"/],
      [{ failOn: 'handles,Leaks' }, /"failOn": "Leaks" is not a kind \(use handles, async, listeners, fds, heap-growth or a profile's name\)$/],
      [{ max: { 'db-connections': -1 } }, /"max" must be an object of profile names and whole numbers/],
      [{ max: { DB: 1 } }, /"max": "DB" is not a profile name/],
      [{ ignore: ['Timeout@'] }, /"ignore": rule "Timeout@" is incomplete/],
      [{ maxHeapGrowth: '20XB' }, /"maxHeapGrowth": invalid size "20XB"/],
    ]) {
      const { code, stdout, stderr } = await withConfig(config);
      assert.equal(code, 2, `${JSON.stringify(config)}: ${stderr}`);
      assert.equal(stdout, '', 'the workload did not run');
      oneLine(stderr, pattern);
      assert.doesNotMatch(stderr, /--[a-z]/, 'no flag named');
    }
  });

  test('package.json "leakprof": the same checks, named after that key', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', leakprof: { maxHandles: -1 } }));
    const { code, stderr } = await checkIn(dir, [fixture]);
    assert.equal(code, 2);
    oneLine(stderr, /^leakprof: package\.json "leakprof": "maxHandles" must be a whole number \(0 or more\), got -1$/);
  });

  test('junit/baseline paths must stay inside the project: absolute, "..", a symlink out are refused; a relative one is written', async () => {
    const outside = tmp();
    for (const [config, pattern] of [
      [{ junit: join(outside, 'j.xml') }, /"junit": ".*j\.xml" is an absolute path: a config file may only name files inside the project folder/],
      [{ baseline: '../b.json' }, /"baseline": "\.\.\/b\.json" leads out of the project with "\.\."/],
      [{ junit: 'reports/../../j.xml' }, /"junit": .* leads out of the project with "\.\."/],
    ]) {
      const { code, stderr } = await withConfig(config);
      assert.equal(code, 2, stderr);
      oneLine(stderr, pattern);
    }
    const dir = tmp();
    symlinkSync(outside, join(dir, 'out'));
    writeFileSync(join(dir, 'leakprof.config.json'), JSON.stringify({ baseline: 'out/b.json' }));
    const viaLink = await checkIn(dir, [fixture]);
    assert.equal(viaLink.code, 2);
    oneLine(viaLink.stderr, /"baseline": "out\/b\.json" leads out of the project through a symlink/);
    assert.ok(!existsSync(join(outside, 'b.json')), 'nothing written outside');

    const inside = await withConfig({ junit: 'leakprof-junit.xml' });
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(readFileSync(join(inside.dir, 'leakprof-junit.xml'), 'utf8'), /<testsuites name="leakprof check"/);
  });
});

test('a baseline with a damaged group: one line naming the group, exit 2, the workload never started', async () => {
  const dir = tmp();
  const file = join(dir, 'baseline.json');
  writeFileSync(file, JSON.stringify({ schema: 'leakprof.baseline/v2', createdAt: '', groups: [null] }));
  const { code, stdout, stderr } = await leakprofCli(['check', '--baseline', file, CLEAN]);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  oneLine(stderr, /baseline\.json: groups\[0\] is not a baseline group .* rerun with --update-baseline/);
});

test('a baseline of an older leakprof (v1: coarser than a report\'s groups): one line, exit 2, rewrite it', async () => {
  const dir = tmp();
  const file = join(dir, 'baseline.json');
  writeFileSync(file, JSON.stringify({ schema: 'leakprof.baseline/v1', createdAt: '', groups: [{ profile: 'handles', type: 'Timeout', label: 'Timeout 10ms', location: 'a.js:1', count: 1 }] }));
  const { code, stdout, stderr } = await leakprofCli(['check', '--baseline', file, CLEAN]);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  oneLine(stderr, /baseline of an older leakprof \(leakprof\.baseline\/v1.*rerun with --update-baseline/);
});

describe('small (item 18)', { concurrency: true }, () => {
  test('a folder given as the script: one line, exit 2 (not "command not found", 127)', async () => {
    for (const cmd of ['run', 'check']) {
      const { code, stderr } = await leakprofCli([cmd, 'fixtures/check']);
      assert.equal(code, 2, stderr);
      oneLine(stderr, /fixtures\/check is a folder, not a script or a command: give the script in it, such as fixtures\/check\/index\.js/);
    }
  });
});
