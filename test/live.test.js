// The live endpoint (issue 16) on a real leaky service: read by fetch (undici), by `leakprof
// attach` and `top`, and by the real `go tool pprof` (skipped, saying why, without go).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { BIN, ROOT, UNTIL_IDLE, leakprofCli, markerLine, processFor, runLeakprof } from './helpers/leakprof.js';
import { NO_GO, get, goPprof, startLive } from './helpers/live.js';

const LEAKY = 'fixtures/live/leaky-server.mjs';
const LEAK_LINE = markerLine(LEAKY, 'leak');
const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'leakprof-live-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function work(app, n) {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${app}/work`);
    await res.arrayBuffer();
  }
}

/** The leak's group in a report: the Timeout made at the marked line. */
function leakGroup(report) {
  const handles = report.processes[0].profiles.find((p) => p.name === 'handles');
  return handles.groups.find((g) => g.top?.file.endsWith(LEAKY) && g.top.line === LEAK_LINE);
}

function decode(body) {
  const p = Profile.decode(gunzipSync(body));
  const str = (i) => p.stringTable.strings[Number(i)];
  return { p, str };
}

describe('a leaky service with the endpoint', () => {
  let svc;
  before(async () => {
    svc = await startLive('leaky-server.mjs');
    await work(svc.app, 7);
  });
  after(() => svc?.stop());

  test('the index links every profile it serves, Go-style', async () => {
    const { status, body } = await get(`${svc.endpoint}/debug/pprof/`);
    assert.equal(status, 200);
    const html = body.toString();
    for (const name of ['handles', 'listeners', 'heap']) assert.match(html, new RegExp(`href="${name}\\?debug=1"`));
    assert.doesNotMatch(html, /href="async/, 'async is off unless LEAKPROF_PROFILES asks');
  });

  test('debug=1 is the text of run, naming the leak line with its count', async () => {
    const { status, body, headers } = await get(`${svc.endpoint}/debug/pprof/handles?debug=1`);
    assert.equal(status, 200);
    assert.match(headers.get('content-type'), /^text\/plain/);
    assert.equal(headers.get('access-control-allow-origin'), null, 'no CORS');
    const text = body.toString();
    assert.match(text, new RegExp(`^7 @ Timeout 60000ms repeat ref`, 'm'));
    assert.match(text, new RegExp(`leaky-server\\.mjs:${LEAK_LINE}:`));
  });

  test('debug=2 lists every one', async () => {
    const text = (await get(`${svc.endpoint}/debug/pprof/handles?debug=2`)).body.toString();
    assert.equal(text.match(/Timeout 60000ms repeat/g)?.length, 7, text);
  });

  test('debug=0 (default) is gzipped profile.proto with the leak line, and no sample of the endpoint itself', async () => {
    // Several requests first, each on its own connection: none of the endpoint's sockets may show.
    for (let i = 0; i < 5; i++) await get(`${svc.endpoint}/debug/pprof/handles`, { connection: 'close' });
    const { status, body } = await get(`${svc.endpoint}/debug/pprof/handles`);
    assert.equal(status, 200);
    assert.deepEqual([body[0], body[1]], [0x1f, 0x8b]);
    const { p, str } = decode(body);
    assert.deepEqual(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`), ['handles/count']);
    assert.equal(Number(p.durationNanos), 0, 'an instant profile has no duration (as Go)');
    assert.equal(str(p.mapping[0].filename), 'node', 'a neutral mapping, so -focus=file.mjs selects by frame');
    const fnOf = new Map(p.function.map((f) => [Number(f.id), f]));
    const locOf = new Map(p.location.map((l) => [Number(l.id), l]));
    const at = (s) => s.locationId.map((id) => locOf.get(Number(id)).line[0]).map((ln) => ({ file: str(fnOf.get(Number(ln.functionId)).filename), line: Number(ln.line) }));
    const leak = p.sample.filter((s) => at(s).some((f) => f.file.endsWith(LEAKY) && f.line === LEAK_LINE));
    assert.equal(leak.reduce((n, s) => n + Number(s.value[0]), 0), 7);
    const types = p.sample.map((s) => str(s.label.find((l) => str(l.key) === 'type').str));
    assert.deepEqual(types.filter((t) => t === 'TCPSERVERWRAP').length, 1, `only the app's server: ${types}`);
    const port = new URL(svc.endpoint).port;
    const report = JSON.parse((await get(`${svc.endpoint}/debug/leakprof/report`)).body);
    const entries = report.processes[0].profiles.flatMap((p) => p.groups.flatMap((g) => g.entries.map((e) => ({ type: g.type, ...e.details }))));
    assert.ok(!entries.some((e) => e.local?.endsWith(`:${port}`) || e.listening?.endsWith(`:${port}`)), `no socket of the endpoint's: ${JSON.stringify(entries)}`);
    for (const s of p.sample) for (const f of at(s)) assert.doesNotMatch(f.file, /dist\/live\//, "no frame of the endpoint's");
  });

  test('the heap profile has Go\'s sample types and the sampling period', async () => {
    const { status, body } = await get(`${svc.endpoint}/debug/pprof/heap?gc=1`);
    assert.equal(status, 200);
    const { p, str } = decode(body);
    assert.deepEqual(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`), ['inuse_objects/count', 'inuse_space/bytes']);
    assert.equal(str(p.periodType.type), 'space');
    assert.equal(Number(p.period), 512 * 1024);
  });

  test('an unknown profile is 404 with the list; bad parameters are 400', async () => {
    const nope = await get(`${svc.endpoint}/debug/pprof/nope`);
    assert.equal(nope.status, 404);
    assert.match(nope.body.toString(), /serves: handles, listeners, heap/);
    const off = await get(`${svc.endpoint}/debug/pprof/async`);
    assert.match(off.body.toString(), /LEAKPROF_PROFILES/);
    assert.equal((await get(`${svc.endpoint}/debug/pprof/handles?debug=7`)).status, 400);
    assert.equal((await get(`${svc.endpoint}/debug/pprof/handles?seconds=-1`)).status, 400);
    assert.equal((await get(`${svc.endpoint}/debug/pprof/handles?seconds=1&debug=1`)).status, 400);
    assert.equal((await get(`${svc.endpoint}/debug/leakprof/heapsnapshot`)).status, 404, 'only with LEAKPROF_HEAP_SNAPSHOTS=1');
  });

  test('?seconds=N is the change over N seconds (Go\'s delta profiles)', async () => {
    const delta = get(`${svc.endpoint}/debug/pprof/handles?seconds=1`);
    // Work keeps coming until the delta is answered: some of it lands inside the window.
    let answered = false;
    delta.then(() => (answered = true));
    for (let i = 0; i < 2000 && !answered; i++) await work(svc.app, 1);
    const { status, body } = await delta;
    assert.equal(status, 200);
    const { p, str } = decode(body);
    assert.equal(Number(p.durationNanos), 1e9);
    const labelOf = (s) => str(s.label.find((l) => str(l.key) === 'label').str);
    const grown = p.sample.filter((s) => labelOf(s) === 'Timeout 60000ms repeat').reduce((n, s) => n + Number(s.value[0]), 0);
    assert.ok(grown >= 1, `the pollers made in the window: ${grown}`);
    assert.ok(!p.sample.some((s) => labelOf(s) === 'TCPSERVERWRAP listening'), 'what did not change cancels out');
  });

  test('1,000 requests leave the endpoint\'s own resources and the report flat', async () => {
    const first = JSON.parse((await get(`${svc.endpoint}/debug/leakprof/report`)).body);
    // The app's own keep-alive connections come and go; the endpoint's are never there, so the rest stays as it was.
    // (and their unref'd timers: the Date header cache, socket timeouts); what keeps the process alive stays as it was.
    const total = (r) =>
      r.processes[0].profiles
        .find((p) => p.name === 'handles')
        .groups.filter((g) => g.keepsAlive && g.type !== 'TCPWRAP' && g.type !== 'HTTPINCOMINGMESSAGE')
        .reduce((n, g) => n + g.count, 0);
    for (let i = 0; i < 1000; i++) {
      const path = i % 50 === 25 ? '/debug/pprof/' : i % 10 === 0 ? '/debug/pprof/handles?debug=1' : i % 10 === 5 ? '/debug/pprof/handles' : '/debug/leakprof/memory';
      const res = await fetch(`${svc.endpoint}${path}`, { headers: i % 10 === 0 ? { connection: 'close' } : {} });
      await res.arrayBuffer();
    }
    const last = JSON.parse((await get(`${svc.endpoint}/debug/leakprof/report`)).body);
    assert.equal(total(last), total(first), 'no new handle in the report');
    const memory = JSON.parse((await get(`${svc.endpoint}/debug/leakprof/memory`)).body);
    // Its own: the server, this keep-alive connection and its parser, a few timers; not one per request.
    assert.ok(memory.ownResources < 20, `own resources alive: ${memory.ownResources}`);
    assert.ok(memory.samples.length > 100 && memory.samples.length <= 240, 'a bounded series');
  });

  test('attach prints the same report as run, and saves .json and .pb.gz', async () => {
    const { code, stdout } = await leakprofCli(['attach', svc.endpoint, '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.outcome.kind, 'running');
    assert.equal(leakGroup(report).count >= 7, true);
    const out = join(tmp, 'now.pb.gz');
    const saved = await leakprofCli(['attach', svc.endpoint.replace('http://', ''), '-o', out]);
    assert.equal(saved.code, 0, saved.stderr);
    const top = await leakprofCli(['report', out, '--top']);
    assert.match(top.stdout, /setInterval/);
  });

  test('attach then report --base shows the growth; so does go tool pprof -base', async () => {
    const before = join(tmp, 'before.pb.gz');
    const afterFile = join(tmp, 'after.pb.gz');
    assert.equal((await leakprofCli(['attach', svc.endpoint, '-o', before])).code, 0);
    await work(svc.app, 5);
    assert.equal((await leakprofCli(['attach', svc.endpoint, '-o', afterFile])).code, 0);
    const diff = await leakprofCli(['report', '--base', before, afterFile, '--traces']);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, new RegExp(`^\\s+5\\s+setInterval`, 'm'), diff.stdout);
    if (NO_GO) return;
    const go = goPprof(['-top', '-base', before, afterFile]);
    assert.match(go, /^\s+5\s+\S+%\s+\S+%\s+5\s+\S+%\s+setInterval$/m, go);
  });

  test('top: the growing group, plain lines off a terminal', async () => {
    const looking = leakprofCli(['top', svc.endpoint, '--every', '300ms', '--count', '3']);
    await work(svc.app, 3);
    const { code, stdout } = await looking;
    assert.equal(code, 0);
    assert.equal(stdout.match(/^leakprof top /gm)?.length, 3);
    assert.match(stdout, new RegExp(`handles\\s+Timeout 60000ms repeat ref\\s+\\(.*leaky-server\\.mjs:${LEAK_LINE}\\)`));
    assert.doesNotMatch(stdout, /\x1b\[/, 'no escape codes off a terminal');
  });

  for (const [key, name] of [['q', 'q'], ['\x03', 'Ctrl-C']]) {
    test(`top on a terminal redraws in place and quits cleanly on ${name}`, { skip: !HAS_SCRIPT && 'needs script(1) for a pseudo-terminal' }, async () => {
      const cmd = [process.execPath, BIN, 'top', svc.endpoint, '--every', '200ms'].map((a) => `'${a}'`).join(' ');
      const child = spawn('script', ['-qefc', `exec ${cmd}`, '/dev/null'], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let sent = false;
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        // After two looks, the key.
        if (!sent && (out.match(/leakprof top /g) ?? []).length >= 2) {
          sent = true;
          child.stdin.write(key);
        }
      });
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
      assert.match(out, /\x1b\[H\x1b\[2J/, 'redrawn in place');
      assert.match(out, /\(q quits\)/);
      assert.match(out, new RegExp(`Timeout 60000ms repeat ref\\s+\\(.*leaky-server\\.mjs:${LEAK_LINE}\\)`));
      assert.ok(out.trimEnd().endsWith('\x1b[?25h'), 'the cursor is given back last');
    });
  }

  test('go tool pprof reads the endpoint: the leak line, its labels, created-by at the root', { skip: NO_GO }, () => {
    const traces = goPprof(['-traces', '-lines', `${svc.endpoint}/debug/pprof/handles`]);
    const blocks = traces.split(/^-+\+-+$/m).slice(1);
    const leak = blocks.find((b) => b.includes('label:  Timeout 60000ms repeat'));
    assert.ok(leak, traces);
    assert.match(leak, new RegExp(`leaky-server\\.mjs:${LEAK_LINE}`));
    assert.match(leak, /keeps_alive:\s+yes/);
    // The server's own stack is Node's (a nextTick of listen): the user's listen() line is at its root.
    const server = blocks.find((b) => b.includes('label:  TCPSERVERWRAP listening'));
    const frames = server.trim().split('\n').filter((l) => /\s(\S+):\d+$/.test(l) || /node:/.test(l));
    assert.match(frames.at(-1) ?? '', /leaky-server\.mjs:\d+|module_job|run_main/, server);
    assert.ok(frames.some((f) => /leaky-server\.mjs:(2[0-9])/.test(f)), server);
    const raw = goPprof(['-raw', `${svc.endpoint}/debug/pprof/heap`]);
    assert.match(raw, /inuse_objects\/count inuse_space\/bytes\[dflt\]/);
    assert.match(raw, /Period: 524288/);
    const objects = goPprof(['-top', '-inuse_objects', `${svc.endpoint}/debug/pprof/heap`]);
    assert.match(objects, /Type: inuse_objects/);
  });
});

test('the report over the endpoint matches run\'s for the same leak', async () => {
  const svc = await startLive('leaky-server.mjs', { env: { SELF_WORK: '4' } });
  let live;
  try {
    live = JSON.parse((await get(`${svc.endpoint}/debug/leakprof/report`)).body);
  } finally {
    await svc.stop();
  }
  const { report } = await runLeakprof([...UNTIL_IDLE, LEAKY], { env: { SELF_WORK: '4' } });
  const ran = leakGroup({ processes: [processFor(report, LEAKY)] });
  const seen = leakGroup(live);
  for (const key of ['count', 'type', 'label', 'state', 'keepsAlive', 'internal']) assert.deepEqual(seen[key], ran[key], key);
  assert.deepEqual(seen.top, ran.top);
  assert.equal(seen.count, 4);
});

test('security: a public bind without a token is refused; with one, a wrong token gets 401 and no data', async () => {
  const refused = spawn(process.execPath, ['--import', join(ROOT, 'dist', 'check', 'register.js'), join(ROOT, LEAKY)], {
    env: { ...process.env, LEAKPROF_HTTP: '0.0.0.0:0', LEAKPROF_TOKEN: '', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  refused.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  refused.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const [code] = await once(refused, 'exit');
  assert.equal(code, 2);
  assert.match(err, /^leakprof: refusing to serve profiles on 0\.0\.0\.0, which is not a loopback address, without a token: set LEAKPROF_TOKEN/);
  assert.equal(err.trim().split('\n').length, 1);
  assert.equal(out, '', 'the workload never ran');

  const svc = await startLive('leaky-server.mjs', { http: '0.0.0.0:0', env: { LEAKPROF_TOKEN: 's3cret-token' } });
  try {
    const local = svc.endpoint.replace('0.0.0.0', '127.0.0.1');
    const none = await get(`${local}/debug/pprof/handles?debug=1`);
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.body.toString(), /Timeout|TCPSERVERWRAP/);
    const wrong = await get(`${local}/debug/pprof/handles?debug=1`, { authorization: 'Bearer s3cret-tokeN' });
    assert.equal(wrong.status, 401);
    const right = await get(`${local}/debug/pprof/handles?debug=1`, { authorization: 'Bearer s3cret-token' });
    assert.equal(right.status, 200);
    assert.match(right.body.toString(), /handles profile/);
    const cli = await leakprofCli(['attach', local]);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /^leakprof: http:\/\/127\.0\.0\.1:\d+: unauthorized \(401\): pass the endpoint's token with --token or LEAKPROF_TOKEN\n$/);
    const ok = await leakprofCli(['attach', local, '--token', 's3cret-token']);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await svc.stop();
  }
});

test('heap snapshots only with LEAKPROF_HEAP_SNAPSHOTS=1, one at a time, the file removed', async () => {
  // The service's own temp folder: what it leaves there is what the endpoint left.
  const own = mkdtempSync(join(tmp, 'svc-tmp-'));
  const svc = await startLive('fixed-server.mjs', { env: { LEAKPROF_HEAP_SNAPSHOTS: '1', TMPDIR: own } });
  try {
    const [a, b] = await Promise.all([get(`${svc.endpoint}/debug/leakprof/heapsnapshot`), get(`${svc.endpoint}/debug/leakprof/heapsnapshot`)]);
    const statuses = [a.status, b.status].sort();
    assert.ok(statuses[0] === 200, `one answered: ${statuses}`);
    const snap = a.status === 200 ? a : b;
    assert.match(snap.body.subarray(0, 40).toString(), /^\{"snapshot":/);
    assert.ok(statuses[1] === 200 || statuses[1] === 429, `the other waited its turn or was told to: ${statuses}`);
    // The snapshot file and its folder are removed once sent (the response's close may come just after the body).
    for (let i = 0; i < 200 && readdirSync(own).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(own), []);
  } finally {
    await svc.stop();
  }
});

test('attach <pid> of a process under leakprof run asks it through the spool', async () => {
  const out = join(tmp, 'run.json');
  // No --idle: the service runs until the test asks it to quit, however slow the attach.
  const run = spawn(process.execPath, [BIN, 'run', '--json', '--timeout', '120s', LEAKY], {
    cwd: ROOT,
    env: { ...process.env, SELF_WORK: '3', NODE_OPTIONS: '', NODE_TEST_CONTEXT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  run.stdout.resume();
  run.stderr.setEncoding('utf8');
  const { app, pid } = await new Promise((resolve, reject) => {
    run.stderr.on('data', (d) => {
      stderr += d;
      const m = /app (\S+) pid (\d+)/.exec(stderr);
      if (m) resolve({ app: m[1], pid: Number(m[2]) });
    });
    run.on('exit', () => reject(new Error('run ended first')));
  });
  const attached = await leakprofCli(['attach', String(pid), '-o', out]);
  assert.equal(attached.code, 0, attached.stderr);
  const { readFileSync } = await import('node:fs');
  const report = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(report.processes[0].pid, pid);
  assert.equal(leakGroup(report).count, 3);
  await (await fetch(`${app}/quit`)).arrayBuffer();
  const [code] = await once(run, 'exit');
  assert.equal(code, 0, 'the workload ended by itself, as it was asked');
});

test('bad input: one line and exit 2', async () => {
  const bad = spawn(process.execPath, ['--import', join(ROOT, 'dist', 'check', 'register.js'), join(ROOT, LEAKY)], {
    env: { ...process.env, LEAKPROF_HTTP: 'localhost:http', NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  bad.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const [code] = await once(bad, 'exit');
  assert.equal(code, 2);
  assert.equal(err, 'leakprof: LEAKPROF_HTTP="localhost:http": expected host:port, :port or port (e.g. 127.0.0.1:6060)\n');
  const refused = await leakprofCli(['attach', 'http://127.0.0.1:9']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^leakprof: http:\/\/127\.0\.0\.1:9: connection refused .*\n$/);
  const notAPid = await leakprofCli(['attach', '999999999']);
  assert.equal(notAPid.code, 2);
  assert.match(notAPid.stderr, /^leakprof: no process 999999999\n$/);
  const every = await leakprofCli(['top', 'http://127.0.0.1:9', '--every', '0']);
  assert.equal(every.code, 2);
  assert.equal(every.stderr.trim().split('\n').length, 1);
  assert.match(every.stderr, /--every 0: must be more than 0/);
  const self = await leakprofCli(['attach', String(process.pid)]);
  assert.match(self.stderr, /^leakprof: process \d+ is not under leakprof/);
});

test('LEAKPROF_HTTP under leakprof run: the endpoint serves the run\'s collector, never keeps the workload alive, and is not in the final report', async () => {
  const run = spawn(process.execPath, [BIN, 'run', '--json', '--timeout', '120s', LEAKY], {
    cwd: ROOT,
    env: { ...process.env, LEAKPROF_HTTP: '127.0.0.1:0', NODE_OPTIONS: '', NODE_TEST_CONTEXT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  run.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  run.stderr.setEncoding('utf8');
  const { app, endpoint } = await new Promise((resolve, reject) => {
    run.stderr.on('data', (d) => {
      stderr += d;
      const a = /app (\S+) pid/.exec(stderr);
      const e = /pprof endpoint at (\S+)\/debug\/pprof\//.exec(stderr);
      if (a && e) resolve({ app: a[1], endpoint: e[1] });
    });
    run.on('exit', () => reject(new Error(`run ended first: ${stderr}`)));
  });
  await work(app, 2);
  const text = (await get(`${endpoint}/debug/pprof/handles?debug=1`)).body.toString();
  assert.match(text, /^2 @ Timeout 60000ms repeat ref/m);
  await (await fetch(`${app}/quit`)).arrayBuffer();
  const [code] = await once(run, 'exit');
  assert.equal(code, 0, 'the endpoint did not keep it alive');
  const report = JSON.parse(stdout);
  const port = new URL(endpoint).port;
  const groups = report.processes[0].profiles.flatMap((p) => p.groups);
  assert.ok(!groups.some((g) => g.type === 'TCPSERVERWRAP'), 'neither server is left, and the endpoint\'s never counted');
  assert.ok(!JSON.stringify(report).includes(`:${port}"`), 'no trace of the endpoint\'s port');
});
