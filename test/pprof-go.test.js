// The profiles leakprof writes to files, read by the real `go tool pprof` (Debian's golang-go; the
// tests skip, saying why, without go): the leak's user line in -traces -lines, created-by at the
// root of a stack that is only Node's, the labels in -raw, check's verdict label, and --base.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, UNTIL_IDLE, leakprofCli, markerLine } from './helpers/leakprof.js';
import { NO_GO, goPprof } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'leakprof-pprof-go-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVER = 'fixtures/server-never-closed/leaky.mjs';
const CREATED_BY = 'fixtures/created-by/library-interval.mjs';

/** -traces output as blocks, each its labels and its frames, leaf first. */
function traceBlocks(text) {
  return text
    .split(/^-+\+-+$/m)
    .slice(1)
    .map((block) => {
      const lines = block.split('\n').filter((l) => l.trim() !== '');
      return { text: block, frames: lines.filter((l) => !/^\s*\S+:\s{2}/.test(l)).map((l) => l.trim()) };
    });
}

test('run --pprof x.pb.gz: the file under that name, every profile read fully by go tool pprof', { skip: NO_GO }, async () => {
  const file = join(dir, 'server.pb.gz');
  const { code, stderr } = await leakprofCli(['run', '--listeners', '--pprof', file, ...UNTIL_IDLE, SERVER]);
  assert.equal(code, 124, stderr);
  assert.ok(existsSync(file), `written under the name given: ${stderr}`);
  const line = markerLine(SERVER, 'LEAK');
  const traces = goPprof(['-traces', '-lines', file]);
  const leak = traceBlocks(traces).find((b) => b.text.includes('TCPSERVERWRAP listening'));
  assert.ok(leak, traces);
  assert.ok(leak.frames.some((f) => f.includes(`leaky.mjs:${line}`)), leak.text);
  const raw = goPprof(['-raw', file]);
  assert.match(raw, /keeps_alive:\[yes\] label:\[TCPSERVERWRAP listening\] state:\[ref\] type:\[TCPSERVERWRAP\]/);
  assert.doesNotMatch(raw, /^Duration:/m, 'an instant profile has no duration');
  // A neutral mapping: the script as the mapping's file made -focus=leaky.mjs keep every sample and -ignore=leaky.mjs none.
  const mappings = raw.slice(raw.indexOf('Mappings'));
  assert.match(mappings, /^1: 0x0\/0x0\/0x0 node\s/m, mappings);
  assert.doesNotMatch(mappings, /leaky\.mjs/);
});

test('created by: a stack of Node\'s and a library\'s frames only is rooted at the user line that started it', { skip: NO_GO }, async () => {
  const file = join(dir, 'created-by.pb.gz');
  const { stderr } = await leakprofCli(['run', '--pprof', file, ...UNTIL_IDLE, CREATED_BY]);
  const line = markerLine(CREATED_BY, 'LEAK');
  const traces = goPprof(['-traces', '-lines', file]);
  const poller = traceBlocks(traces).find((b) => b.text.includes('Timeout 1000ms repeat'));
  assert.ok(poller, `${stderr}\n${traces}`);
  const userAt = poller.frames.findIndex((f) => f.includes(`library-interval.mjs:${line}`));
  const pollAt = poller.frames.findIndex((f) => /setInterval|poll|arm/.test(f));
  assert.ok(userAt > pollAt && pollAt >= 0, `the user's line is below (rootward of) the library's frames:\n${poller.text}`);
});

test('check --pprof labels each sample with its verdict: -tagfocus verdict=leak', { skip: NO_GO }, async () => {
  const file = join(dir, 'check.pb.gz');
  const { code } = await leakprofCli(['check', '--pprof', file, ...UNTIL_IDLE, SERVER]);
  assert.notEqual(code, 0);
  const leak = goPprof(['-traces', '-tagfocus', 'verdict=leak', file]);
  assert.match(leak, /TCPSERVERWRAP listening/);
  assert.match(goPprof(['-raw', file]), /verdict:\[(leak|ok)\]/);
});

test('the live heap profile reads with -inuse_objects and -inuse_space', { skip: NO_GO }, async () => {
  const { startLive } = await import('./helpers/live.js');
  const svc = await startLive('fixed-server.mjs');
  try {
    for (const flag of ['-inuse_objects', '-inuse_space']) {
      const out = goPprof(['-top', flag, `${svc.endpoint}/debug/pprof/heap`]);
      assert.match(out, new RegExp(`Type: ${flag.slice(1)}`));
    }
  } finally {
    await svc.stop();
  }
});

test('without go the interop tests say why they skip', () => {
  if (NO_GO) assert.match(NO_GO, /go is not installed/);
  else assert.equal(NO_GO, false);
  assert.ok(existsSync(join(ROOT, '.ci', 'run')));
});

test('report --top prints what go tool pprof -top prints: the zone\'s abbreviation, (inline) under small -nodecount', { skip: NO_GO }, async () => {
  const testdata = join(ROOT, 'fixtures', 'pprof-testdata');
  for (const tz of ['Asia/Tokyo', 'Europe/Paris', 'America/New_York', 'Asia/Dubai']) {
    if (!existsSync(`/usr/share/zoneinfo/${tz}`)) continue;
    const ours = await leakprofCli(['report', '--top', join(testdata, 'go.heap.pb.gz')], { env: { TZ: tz } });
    const go = spawnSync('go', ['tool', 'pprof', '-top', join(testdata, 'go.heap.pb.gz')], { encoding: 'utf8', env: { ...process.env, TZ: tz } });
    const time = (text) => /^Time: .*$/m.exec(text)?.[0];
    assert.equal(time(ours.stdout), time(go.stdout), tz);
  }
  for (const n of [1, 3, 5, 10]) {
    const ours = await leakprofCli(['report', '--top', '--nodecount', String(n), join(testdata, 'go.cpu.pb.gz')], { env: { TZ: 'UTC' } });
    const go = spawnSync('go', ['tool', 'pprof', '-top', `-nodecount=${n}`, join(testdata, 'go.cpu.pb.gz')], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.equal(ours.stdout, go.stdout, `-nodecount=${n}`);
  }
});

test('report --top names the zone as the tz database does (JST, not GMT+9), with or without go', { skip: !existsSync('/usr/share/zoneinfo/Asia/Tokyo') && 'no tz database' }, async () => {
  const file = join(ROOT, 'fixtures', 'pprof-testdata', 'go.heap.pb.gz');
  const tokyo = await leakprofCli(['report', '--top', file], { env: { TZ: 'Asia/Tokyo' } });
  assert.match(tokyo.stdout, /^Time: .* \(JST\)$/m);
  const utc = await leakprofCli(['report', '--top', file], { env: { TZ: 'UTC' } });
  assert.match(utc.stdout, /^Time: .* \(UTC\)$/m);
});
