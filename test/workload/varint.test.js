import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendUvarint, encodeUvarint, readUvarint } from '../../dist/workload/index.js';

test('uvarint: known encodings match LEB128', () => {
  assert.deepEqual([...encodeUvarint(0)], [0]);
  assert.deepEqual([...encodeUvarint(127)], [0x7f]);
  assert.deepEqual([...encodeUvarint(128)], [0x80, 0x01]);
  assert.deepEqual([...encodeUvarint(300)], [0xac, 0x02]);
  assert.deepEqual([...encodeUvarint(16383)], [0xff, 0x7f]);
  assert.equal(encodeUvarint(16384).length, 3);
  assert.deepEqual([...encodeUvarint(2 ** 32 - 1)], [0xff, 0xff, 0xff, 0xff, 0x0f]);
});

test('uvarint: round trip across byte-length boundaries and beyond 32 bits', () => {
  const values = [0, 1, 127, 128, 255, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 31, 2 ** 32, 2 ** 35 + 7, Number.MAX_SAFE_INTEGER];
  const buf = [];
  for (const v of values) appendUvarint(buf, v);
  let pos = 0;
  for (const v of values) {
    const r = readUvarint(buf, pos);
    assert.equal(r.value, v);
    pos = r.next;
  }
  assert.equal(pos, buf.length);
});

test('uvarint: truncated input and invalid values throw', () => {
  assert.throws(() => readUvarint([0x80], 0), /truncated/);
  assert.throws(() => readUvarint([], 0), /truncated/);
  assert.throws(() => appendUvarint([], -1), RangeError);
  assert.throws(() => appendUvarint([], 1.5), RangeError);
});
