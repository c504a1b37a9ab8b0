// The spool (issue 11, item 17): a collector writes only into the 0700 folder leakprof made,
// never through a symlink planted in it, and never into a folder that is not leakprof's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolWriter, isOwnSpool } from '../dist/transport/spool-writer.js';
import { RequestSender, RequestWatcher } from '../dist/transport/requests.js';

const hello = { kind: 'hello', v: 1, stackMode: 'auto', process: { pid: 1, ppid: 0, argv: [], execArgv: [], cwd: '/', nodeVersion: process.version, startedAt: 0 } };

function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-spool-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a symlink planted in the spool is never written through', (t) => {
  const dir = scratch(t);
  const spool = join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  const target = join(dir, 'victim.txt');
  writeFileSync(target, 'untouched\n');
  symlinkSync(target, join(spool, '42.ndjson'));
  symlinkSync(target, join(spool, '42.latest.tmp'));
  const writer = new SpoolWriter(spool, 42);
  writer.append(hello);
  writer.writeLatest({ kind: 'snapshot', seq: 1 });
  assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
});

test('the heartbeat file replaces a planted symlink instead of following it', (t) => {
  const dir = scratch(t);
  const spool = join(dir, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  const target = join(dir, 'victim.txt');
  writeFileSync(target, 'untouched\n');
  symlinkSync(target, join(spool, '7.latest.tmp'));
  const writer = new SpoolWriter(spool, 7);
  writer.writeLatest({ kind: 'snapshot', seq: 1 });
  assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
  assert.deepEqual(JSON.parse(readFileSync(join(spool, '7.latest.json'), 'utf8')), { kind: 'snapshot', seq: 1 });
});

test("a folder that is not leakprof's own is refused: open to others, a symlink, missing (never recreated)", (t) => {
  const dir = scratch(t);
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o755);
  const real = join(dir, 'real');
  mkdirSync(real, { mode: 0o700 });
  const link = join(dir, 'link');
  symlinkSync(real, link);
  const gone = join(dir, 'gone');
  for (const spool of [open, link, gone]) {
    assert.equal(isOwnSpool(spool), false, spool);
    const writer = new SpoolWriter(spool, 5);
    writer.append(hello);
    assert.equal(writer.usable, false);
  }
  assert.deepEqual(readdirSync(open), []);
  assert.deepEqual(readdirSync(real), []);
  assert.equal(existsSync(gone), false);
  assert.equal(isOwnSpool(real), true);
});

test('requests: each line is seen once, a final one names why', (t) => {
  const spool = scratch(t);
  const sender = new RequestSender(spool);
  const watcher = new RequestWatcher(spool);
  assert.equal(watcher.poll(), undefined);
  sender.send();
  assert.deepEqual(watcher.poll(), { number: 1 });
  assert.equal(watcher.poll(), undefined);
  sender.send();
  sender.send('SIGTERM');
  assert.deepEqual(watcher.poll(), { number: 3, final: 'SIGTERM' });
});
