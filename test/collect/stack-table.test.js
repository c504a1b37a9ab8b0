import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StackTable } from '../../dist/collect/stack-table.js';

const here = import.meta.url;

test('captureLazy + resolve: interned like capture, cut at the boundary, read once', () => {
  const table = new StackTable(16);
  const raws = [];
  function make() {
    raws.push(table.captureLazy(make)); // LAZY
  }
  for (let i = 0; i < 3; i++) make();
  assert.equal(table.frames.length, 0, 'nothing is interned before resolve');
  const ids = raws.map((raw) => table.resolve(raw));
  assert.equal(new Set(ids).size, 1, 'one stack for one call site');
  const [top] = table.frames[ids[0]];
  assert.equal(top.file, here);
  assert.equal(table.hasUserFrame[ids[0]], true);
  assert.equal(table.resolve(raws[0]), ids[0], 'a second read gives the same id');
  assert.equal(table.frames.length, 1);
});

test('captureLazy with a constructor as boundary drops the frames inside it', () => {
  const table = new StackTable(16);
  class Resource {
    constructor() {
      this.raw = inner();
    }
  }
  function inner() {
    return table.captureLazy(Resource);
  }
  function create() {
    return new Resource();
  }
  const id = table.resolve(create().raw);
  const names = table.frames[id].map((f) => f.fn);
  assert.equal(names[0], 'create', `top frame is the caller of new Resource: ${names.join(' < ')}`);
  assert.ok(!names.includes('inner'));
});

test('resolve leaves a user-set Error.prepareStackTrace and stackTraceLimit in place', () => {
  const table = new StackTable(4);
  const mine = (_error, sites) => `mine ${sites.length}`;
  Error.prepareStackTrace = mine;
  const limit = Error.stackTraceLimit;
  try {
    const raw = table.captureLazy(test);
    assert.equal(Error.stackTraceLimit, limit);
    assert.ok(table.resolve(raw) >= 0);
    assert.equal(Error.prepareStackTrace, mine);
    assert.match(new Error('x').stack, /^mine \d+$/);
  } finally {
    delete Error.prepareStackTrace;
  }
});

test('capture still interns eagerly and shares ids with resolved lazy stacks of the same frames', () => {
  const table = new StackTable(16);
  function both() {
    return [table.capture(both), table.resolve(table.captureLazy(both))];
  }
  const [eager, lazy] = both();
  assert.ok(eager >= 0);
  assert.notEqual(table.frames[eager][0].line, 0);
  assert.equal(table.frames[lazy][0].file, here);
  assert.equal(table.frames[lazy].length, table.frames[eager].length);
});

test('captureLazy keeps at most `limit` frames', () => {
  const table = new StackTable(16);
  function a() { return b(); }
  function b() { return c(); }
  function c() { return table.captureLazy(c, 2); }
  const id = table.resolve(a());
  assert.deepEqual(table.frames[id].map((f) => f.fn), ['b', 'a']);
});
