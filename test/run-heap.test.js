// `leakprof run --heap` end to end: the registry leak (seed 003) in a real child, its heap profile,
// its checkpoint snapshots and the three-snapshot leak set read back by the parent, from the JSON report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakprofCli, markerLine } from './helpers/leakprof.js';

// Ten rounds of 500 connections, one every 100 ms; checkpoints at 250 ms and 550 ms, the last snapshot at exit.
const PACED = ['10', '500', '100'];
const CHECKPOINTS = ['--heap-snapshots', '250ms,550ms'];

async function runHeap(fixture, args, flags = CHECKPOINTS) {
  const out = await leakprofCli(['run', '--json', '--heap', ...flags, `fixtures/registry/${fixture}`, ...args]);
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout);
  return { report, proc: report.processes[0], stderr: out.stderr };
}

test('run --heap: the leaky registry\'s entries are the leak set, held by the registry\'s Map', async () => {
  // Checkpoints the program marks after each round: what is compared follows the program's progress, not the clock.
  const { proc } = await runHeap('checkpoints.mjs', ['10', '500'], ['--heap-snapshots', 'none']);
  const leaks = proc.heapLeaks;
  assert.ok(leaks, `no heap leak set; notes: ${proc.notes.join(' | ')}`);
  assert.equal(leaks.snapshots.length, 3);
  assert.ok(leaks.snapshots.every((s) => s.file === null), 'the snapshots are deleted once read');
  const entry = leaks.groups.find((g) => g.name === 'ChannelEntry');
  assert.ok(entry, `groups: ${leaks.groups.map((g) => g.name).join(', ')}`);
  assert.equal(entry.count, 500, 'the round registered between the first two checkpoints');
  assert.deepEqual(entry.countsBySnapshot, [500, 1000, 5000], 'every connection left its entry');
  const path = entry.retainerPath.map((s) => s.edge);
  assert.ok(path.includes('channels'), `held through .channels: ${JSON.stringify(entry.retainerPath)}`);
  assert.ok(entry.retainerPath.some((s) => s.node === 'Registry'));
  assert.equal(entry.location?.file, 'fixtures/registry/registry.mjs');
  assert.equal(entry.location?.line, markerLine('fixtures/registry/registry.mjs', 'ENTRY'));
});

test('run --heap --heap-snapshots: timed checkpoints, then one at exit; the entries registered after the first are the leak set', async () => {
  const { proc } = await runHeap('leaky.mjs', PACED);
  const leaks = proc.heapLeaks;
  assert.ok(leaks, `no heap leak set; notes: ${proc.notes.join(' | ')}`);
  assert.deepEqual(leaks.snapshots.map((s) => s.label), ['checkpoint 1', 'checkpoint 2', 'exit']);
  // Which rounds fall between two timed checkpoints depends on the machine's pace, so what the set holds is not
  // asserted here (the program-marked checkpoints above are the deterministic way); what the last one saw is.
  assert.ok(leaks.snapshots.every((s, i) => i === 0 || s.uptimeMs >= leaks.snapshots[i - 1].uptimeMs), 'in order');
  const entry = leaks.groups.find((g) => g.name === 'ChannelEntry');
  if (entry) assert.equal(entry.countsBySnapshot[2], 5000);
});

test('run --heap: the heap profile puts the registry\'s live bytes under the fixture\'s own functions', async () => {
  const { proc } = await runHeap('leaky.mjs', PACED, ['--heap-snapshots', 'none', '--heap-interval', '4KB']);
  const heap = proc.profiles.find((p) => p.name === 'heap');
  assert.ok(heap, 'a heap profile');
  assert.ok(heap.totalBytes > 0);
  // V8 names the function that allocated, after inlining: connect, register or the constructors, or round they were inlined into.
  const mine = heap.groups.filter((g) => g.frames?.some((f) => f.file.startsWith('fixtures/registry/')));
  assert.ok(mine.length > 0, 'allocations in the fixture\'s code');
  assert.ok(mine.some((g) => g.top?.file.startsWith('fixtures/registry/')), 'located at a fixture frame');
  const bytes = mine.reduce((n, g) => n + g.bytes, 0);
  // 5,000 entries with two subchannels each, and the Map that holds them: well over 500 KB.
  assert.ok(bytes > 500 * 1024, `${bytes} bytes in the fixture's code`);
  assert.equal(proc.heapLeaks, undefined, 'no snapshots, no leak set');
  assert.ok((proc.memorySamples ?? []).length >= 2);
});

test('run --heap: the fixed twin removes its entries, so none is in the leak set', async () => {
  const { proc } = await runHeap('fixed.mjs', PACED);
  assert.ok(proc.heapLeaks, `no heap leak set; notes: ${proc.notes.join(' | ')}`);
  assert.equal(proc.heapLeaks.groups.find((g) => g.name === 'ChannelEntry'), undefined);
});

test('run --heap --heap-dir keeps the snapshots, and `leakprof heap` reads them to the same leak set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-heapdir-'));
  try {
    const { proc } = await runHeap('leaky.mjs', PACED, [...CHECKPOINTS, '--heap-dir', dir]);
    const files = proc.heapLeaks.snapshots.map((s) => s.file);
    assert.ok(files.every((f) => f && existsSync(f)), `kept: ${files}`);
    assert.equal(readdirSync(dir).length, 3);
    const offline = await leakprofCli(['heap', '--json', ...files]);
    assert.equal(offline.code, 0, offline.stderr);
    const summary = (groups) => groups.map((g) => `${g.count} × ${g.name}`);
    assert.deepEqual(summary(JSON.parse(offline.stdout).groups), summary(proc.heapLeaks.groups));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoint() from the program\'s own code marks the snapshots; the first, second and last are compared', async () => {
  const { proc, stderr } = await runHeap('checkpoints.mjs', ['4', '500'], ['--heap-snapshots', 'none']);
  assert.match(stderr, /checkpoint: .*\.heapsnapshot/);
  const leaks = proc.heapLeaks;
  assert.ok(leaks, `notes: ${proc.notes.join(' | ')}`);
  assert.deepEqual(leaks.snapshots.map((s) => s.label), ['after round 1', 'after round 2', 'exit']);
  const entry = leaks.groups.find((g) => g.name === 'ChannelEntry');
  assert.equal(entry.count, 500, 'the round between the first two checkpoints');
  assert.deepEqual(entry.countsBySnapshot, [500, 1000, 2000]);
});

test('run --heap on a run shorter than its checkpoints says why there is no leak set, and keeps the rest', async () => {
  const { proc } = await runHeap('leaky.mjs', ['2', '100'], ['--heap-snapshots', '5s,10s']);
  assert.equal(proc.heapLeaks, undefined);
  assert.ok(proc.notes.some((n) => /it takes three heap snapshots and this process took 0 \(checkpoints at 5(\.0)?s, 10s/.test(n)), proc.notes.join(' | '));
  assert.ok(proc.profiles.some((p) => p.name === 'heap'), 'the heap profile is still there');
});

test('run --heap flags: bad values are one line and exit 2', async () => {
  for (const [args, pattern] of [
    [['--heap', '--heap-snapshots', 'soon'], /--heap-snapshots takes durations/],
    [['--heap-dir', '/tmp/x'], /need --heap/],
    [['--heap', '--heap-interval', '12parsecs'], /--heap-interval/],
  ]) {
    const out = await leakprofCli(['run', ...args, 'fixtures/registry/leaky.mjs', '1', '10']);
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.match(out.stderr, pattern);
    assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
  }
});
