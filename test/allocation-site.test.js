// The allocating line of a heap leak: V8 says which function allocated (its start only), the source
// says which line of it makes the leaking kind. Pure cases over a source file first, then `check`
// on a leaky session cache and its fixed twin in real children.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markerLine, ROOT } from './helpers/leakprof.js';
import { check, checkJson } from './helpers/check.js';

const { allocationSite } = await import('../dist/analyse/heap/allocation-site.js');

const SHAPES = 'fixtures/allocation-site/shapes.mjs';
const object = (name) => ({ name, nodeType: 'object' });
/** A heap profile group whose innermost frames are these `[function, line, column]`, as V8 reports a function's start. */
const profiled = (bytes, ...frames) => ({ bytes, frames: frames.map(([fn, line, column]) => ({ function: fn, file: SHAPES, line, column, kind: 'user' })) });
/** V8's position of a function: where its parameter list starts. */
const startOf = (needle) => {
  const lines = readFileSync(join(ROOT, SHAPES), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  return [i + 1, lines[i].indexOf('(', lines[i].indexOf(needle)) + 1];
};

describe('allocating line from the source (pure)', () => {
  test('the function that puts into the holder: the line that makes the kind, not one in a string, a comment or a nested function', () => {
    const site = allocationSite(object('Job'), { variable: 'queue', file: SHAPES }, [], ROOT);
    assert.deepEqual({ ...site, column: undefined }, { function: 'enqueue', file: SHAPES, line: markerLine(SHAPES, 'ENQUEUE'), column: undefined, exact: true });
  });

  test('an object literal stored by key; a timer from the heap profile\'s allocating function', () => {
    assert.equal(allocationSite(object('Object'), { variable: 'byId', file: SHAPES }, [], ROOT)?.line, markerLine(SHAPES, 'LITERAL'));
    const [line, column] = startOf('function arm');
    const site = allocationSite(object('Timeout'), undefined, [profiled(1, ['arm', line, column])], ROOT);
    assert.deepEqual([site.function, site.line, site.exact], ['arm', markerLine(SHAPES, 'ARM'), true]);
  });

  test('past the constructor\'s own frame; the largest allocating function first', () => {
    const [cl, cc] = startOf('constructor(name)');
    const [el, ec] = startOf('function enqueue');
    const [al, ac] = startOf('function arm');
    const site = allocationSite(object('Job'), undefined, [profiled(10, ['arm', al, ac]), profiled(500, ['Job', cl, cc], ['enqueue', el, ec])], ROOT);
    assert.deepEqual([site.function, site.line, site.exact], ['enqueue', markerLine(SHAPES, 'ENQUEUE'), true]);
  });

  test('two lines make it and neither names the holder: the function and its header, said as not certain', () => {
    const [line, column] = startOf('function retry');
    const site = allocationSite(object('Job'), undefined, [profiled(1, ['retry', line, column])], ROOT);
    assert.deepEqual(site, { function: 'retry', file: SHAPES, line, column, exact: false });
  });

  test('two functions fill the holder and make the kind: the one the heap profile says allocated more, else nothing', () => {
    const holder = { variable: 'pool', file: SHAPES };
    assert.equal(allocationSite(object('Conn'), holder, [], ROOT), undefined);
    const [ol, oc] = startOf('function open');
    const [rl, rc] = startOf('function reopen');
    const site = allocationSite(object('Conn'), holder, [profiled(100, ['open', ol, oc]), profiled(900, ['reopen', rl, rc])], ROOT);
    assert.deepEqual([site.function, site.line, site.exact], ['reopen', markerLine(SHAPES, 'REOPEN'), true]);
  });

  test('an allocating function that makes no such kind is not named: the header is said only for a function that makes it', () => {
    const [line, column] = startOf('function arm');
    assert.equal(allocationSite(object('Job'), undefined, [profiled(1, ['arm', line, column])], ROOT), undefined);
  });

  test('a kind the source cannot tell (a string), or no source: nothing rather than a wrong line', () => {
    const [line, column] = startOf('function enqueue');
    assert.equal(allocationSite({ name: '(string)', nodeType: 'string' }, { variable: 'queue', file: SHAPES }, [profiled(1, ['enqueue', line, column])], ROOT), undefined);
    assert.equal(allocationSite(object('Job'), { variable: 'queue', file: 'fixtures/allocation-site/missing.mjs' }, [], ROOT), undefined);
  });
});

test('a chain that links through other kinds (a promise per .then, held by the next callback\'s closure) is told from its repeated block and named by what it goes through', async () => {
  const { foldRepeats } = await import('../dist/analyse/heap/retainer-paths.js');
  const { topHeapLeak } = await import('../dist/analyse/heap/top-leak.js');
  const { renderPath } = await import('../dist/report/heap-text.js');
  let id = 1;
  const step = (edge, edgeType, node, nodeType = 'object') => ({ edge, edgeType, node, nodeType, id: id++ });
  const link = () => [step('2', 'hidden', 'Promise'), step('0', 'hidden', '(closure) (anonymous)', 'closure'), step('context', 'internal', '(closure scope)'), step('1', 'hidden', 'Promise')];
  const steps = [step('', '', '(GC roots)', 'synthetic'), step('queue', 'property', 'Array'), ...Array.from({ length: 5 }, link).flat(), step('2', 'hidden', 'Promise')];
  const group = { name: 'Promise', nodeType: 'object', count: 1000, selfBytes: 80000, retainedBytes: 9e6, countsBySnapshot: [1, 500, 1000], retainerPath: foldRepeats(steps), examples: [] };
  const top = topHeapLeak([group], ROOT, []);
  assert.deepEqual(top.chainThrough, ['(closure) (anonymous)', '(closure scope)']);
  assert.deepEqual([top.heldFrom[0].repeat, top.heldFrom[0].span], [5, 4]);
  assert.equal(renderPath(top.heldFrom), '(Promise → (closure) (anonymous) → (closure scope) → Promise) ×5 → Promise');
});

// Real children. Their work is counted (logins), and samples are paced by GCs and CPU time, so speed does not change the verdict.
const CACHE = 'fixtures/growth/session-cache.mjs';
const heapViolation = (r) => r.verdict.violations.find((v) => v.kind === 'heap-growth');

describe('check names the holder, its declaration and the allocating line of a leaky cache', { concurrency: 2 }, () => {
  test('check --heap on a cache that never evicts: one line with the holder, its declaration line and the allocating line, in the text and the JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakprof-alloc-test-'));
    try {
      const out = join(dir, 'report.json');
      const { code, stderr } = await check(['--heap', '--max-heap-growth', '5MB', '-o', out, CACHE]);
      assert.equal(code, 1, stderr);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      const v = heapViolation(report);
      assert.ok(v, JSON.stringify(report.verdict));
      const expected = `× Session in one Map, [\\d.]+[KM]B retained held by sessions declared at ${CACHE}:${markerLine(CACHE, 'HOLDER')}, allocated in login at ${CACHE}:${markerLine(CACHE, 'ALLOC')} `;
      assert.match(v.message, new RegExp(`^leak \\(heap\\): .*; [\\d,]+ ${expected}`));
      assert.deepEqual([v.location.file, v.location.line, v.location.function], [CACHE, markerLine(CACHE, 'ALLOC'), 'login']);
      const line = stderr.split('\n').find((l) => l.startsWith('leak (heap):'));
      assert.equal(line, v.message, 'the text says the same one line');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('check --max-heap-growth alone looks at the heap too: the leaky cache fails naming its holder and allocating line; --no-heap only judges; the fixed twin passes', async () => {
    const leaky = await checkJson(['--max-heap-growth', '5MB', CACHE]);
    assert.equal(leaky.code, 1);
    const line = heapViolation(leaky).message;
    assert.match(line, /× Session in one Map/);
    assert.ok(line.includes(`held by sessions declared at ${CACHE}:${markerLine(CACHE, 'HOLDER')}`), line);
    assert.ok(line.includes(`allocated in login at ${CACHE}:${markerLine(CACHE, 'ALLOC')}`), line);
    const judged = await checkJson(['--no-heap', '--max-heap-growth', '5MB', CACHE]);
    assert.equal(judged.code, 1);
    assert.match(heapViolation(judged).message, /rerun with --heap to see what holds it/);
    const fixed = await checkJson(['--max-heap-growth', '5MB', '--', 'node', CACHE, '--fixed']);
    assert.equal(heapViolation(fixed), undefined, JSON.stringify(fixed.verdict));
    assert.equal(fixed.code, 0);
    // Judged, not passed for want of samples: the control is a real one.
    assert.match(fixed.verdict.totals.find((t) => t.kind === 'heap-growth').note, /^steady in pid/);
  });

  test('check --heap passes the fixed twin and the clean warm-up programs (a module loaded after start, a pool that fills)', async () => {
    for (const argv of [[CACHE, '--fixed'], ['fixtures/growth/module-after-start.mjs'], ['fixtures/growth/buffer-pool.mjs']]) {
      const r = await checkJson(['--heap', '--max-heap-growth', '5MB', '--', 'node', ...argv]);
      assert.equal(heapViolation(r), undefined, `${argv.join(' ')}: ${JSON.stringify(r.verdict.violations)}`);
      assert.equal(r.code, 0, argv.join(' '));
    }
  });
});
