// The spool read as it grows (issue 13, "carried as changes"): the parent reads each log from
// where it stopped, whole records only; a cut or corrupt record is counted and the rest kept;
// each stack crosses once; a heartbeat is built from groups kept as things come and go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolWriter } from '../dist/transport/spool-writer.js';
import { SpoolReader, readSpool } from '../dist/transport/spool-reader.js';
import { handleGroups, markerLine, processFor, runLeakprof } from './helpers/leakprof.js';

const hello = { kind: 'hello', v: 2, stackMode: 'auto', process: { pid: 9, ppid: 0, argv: [], execArgv: [], cwd: '/', nodeVersion: process.version, startedAt: 0 } };
const frames = (line) => [{ fn: 'f', file: '/app/a.js', line, col: 1 }];
const sample = (stack, count) => ({ type: 'Timeout', label: 'Timeout 1000ms', state: 'ref', stack, createdBy: -1, createdByAsync: -1, count, ageMinMs: 0, ageMaxMs: 0, entries: [] });
function snapshot(seq, reason, stacks, samples) {
  return { kind: 'snapshot', v: 2, pid: 9, seq, reason, time: 1000 * seq, uptimeMs: 1000 * seq, stackMode: 'auto', stacks, profiles: [{ name: 'handles', total: samples.reduce((n, s) => n + s.count, 0), samples }], typeCounts: {}, active: {}, memory: { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }, droppedEntries: 0 };
}

function spoolDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-reader-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spool = join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  return spool;
}

test('a record is read once it is whole, from where the last read stopped', (t) => {
  const spool = spoolDir(t);
  const log = join(spool, '9.ndjson');
  const reader = new SpoolReader(spool, (s) => new Map([['n', s.profiles[0].total]]));
  appendFileSync(log, `${JSON.stringify(hello)}\n`);
  const line = JSON.stringify(snapshot(1, 'request', { 0: frames(3) }, [sample(0, 4)]));
  appendFileSync(log, line.slice(0, 40));
  let entry = reader.read().get(9);
  assert.equal(entry.hello.process.pid, 9);
  assert.equal(entry.snapshots.length, 0, 'half a record is left for later');
  assert.equal(entry.corruptLines, 0, 'a record still being written is not corrupt');
  appendFileSync(log, `${line.slice(40)}\n`);
  entry = reader.read().get(9);
  assert.equal(entry.snapshots.length, 1);
  assert.deepEqual(entry.snapshots[0].stacks[0], frames(3));
  // Many more: only the newest stays whole, each is one point of the growth series.
  for (let seq = 2; seq <= 50; seq++) appendFileSync(log, `${JSON.stringify(snapshot(seq, 'request', {}, [sample(0, 4 + seq)]))}\n`);
  entry = reader.read().get(9);
  assert.deepEqual(entry.snapshots.map((s) => s.seq), [50]);
  assert.equal(entry.series.length, 50);
  assert.deepEqual(entry.series.map((p) => p.counts.get('n')).slice(0, 3), [4, 6, 7]);
  assert.deepEqual(entry.snapshots[0].stacks[0], frames(3), 'a stack sent once serves every later snapshot');
  assert.equal(reader.read().get(9).series.length, 50, 'nothing is read twice');
});

test('a corrupt record is counted and skipped; a record cut short at the end is counted once the writers are done', (t) => {
  const spool = spoolDir(t);
  const log = join(spool, '9.ndjson');
  appendFileSync(log, `${JSON.stringify(hello)}\n{"kind":"snapshot",\u0000garbage\n`);
  appendFileSync(log, `${JSON.stringify(snapshot(2, 'request', {}, [sample(-1, 1)]))}\n`);
  appendFileSync(log, JSON.stringify(snapshot(3, 'exit', {}, [sample(-1, 1)])).slice(0, 30));
  const reader = new SpoolReader(spool, () => new Map());
  const running = reader.read().get(9);
  assert.equal(running.corruptLines, 1);
  assert.deepEqual(running.snapshots.map((s) => s.seq), [2], 'what came after the corrupt record is kept');
  const done = reader.read({ final: true }).get(9);
  assert.equal(done.corruptLines, 2, 'the cut last record counts once the process is done');
  assert.equal(reader.read({ final: true }).get(9).corruptLines, 2, 'and only once');
});

test('the writer sends each stack once; the reader gives every snapshot, and the heartbeat, all of them', (t) => {
  const spool = spoolDir(t);
  const writer = new SpoolWriter(spool, 9);
  writer.append(hello);
  writer.append(snapshot(1, 'request', { 0: frames(1), 1: frames(2) }, [sample(0, 1), sample(1, 1)]));
  writer.append(snapshot(2, 'request', { 0: frames(1), 1: frames(2) }, [sample(0, 1), sample(1, 2)]));
  writer.writeLatest(snapshot(3, 'heartbeat', { 1: frames(2), 2: frames(7) }, [sample(1, 2), sample(2, 5)]));
  const lines = readFileSync(join(spool, '9.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const sent = lines.filter((m) => m.kind === 'stacks').map((m) => Object.keys(m.stacks));
  assert.deepEqual(sent, [['0', '1'], ['2']], 'stacks 0 and 1 once, then only the heartbeat\'s new one');
  assert.ok(lines.filter((m) => m.kind === 'snapshot').every((m) => Object.keys(m.stacks).length === 0));
  const entry = readSpool(spool).get(9);
  assert.deepEqual(entry.latest.stacks[2], frames(7));
  assert.deepEqual(entry.snapshots[1].stacks[1], frames(2));
});

test('a killed process is reported from its last heartbeat, which counts what ended since the one before', async () => {
  const file = 'fixtures/supervise/killed-after-heartbeat.mjs';
  const { report } = await runLeakprof(['--timeout', '60s', file]);
  const proc = processFor(report, file);
  assert.equal(proc.snapshot.reason, 'heartbeat');
  assert.equal(proc.partial, true);
  const groups = handleGroups(proc);
  const held = groups.filter((g) => g.type === 'Timeout' && g.top?.line === markerLine(file, 'HELD'));
  assert.equal(held.reduce((n, g) => n + g.count, 0), 20, JSON.stringify(groups.map((g) => [g.label, g.count, g.top?.line])));
  assert.equal(groups.filter((g) => g.type === 'TCPSERVERWRAP').length, 0, 'the closed server left its group');
  assert.equal(proc.summary.find((row) => row.type === 'Timeout')?.live >= 20, true);
});

test('--every: periodic snapshots come from the kept groups, and a group that rises at each is flagged as growing', async () => {
  const file = 'fixtures/supervise/grows-per-report.mjs';
  const { report, code } = await runLeakprof(['--every', '200ms', '--timeout', '60s', file]);
  assert.equal(code, 0);
  const proc = processFor(report, file);
  assert.equal(proc.snapshot.reason, 'exit');
  const group = handleGroups(proc).find((g) => g.top?.line === markerLine(file, 'GROWS'));
  assert.ok(group, JSON.stringify(handleGroups(proc).map((g) => [g.label, g.count, g.top?.line])));
  assert.ok(group.count >= 8, `count ${group.count}`);
  assert.ok(group.growth, 'flagged as growing');
  assert.ok(group.growth.samples >= 3 && group.growth.to > group.growth.from, JSON.stringify(group.growth));
});
