/**
 * The compressed key layout both compressor variants share (spec 1.2): `0x00` for no labels, else
 * the uvarints of `[count, idx0, …, idxN-1]`. Decoding errors are the "BUG" panics in VictoriaMetrics.
 */
import { appendUvarint, readUvarint } from './varint.js';

/** Appends the key for `indices` to `dst`. */
export function appendKey(dst: number[], indices: readonly number[]): void {
  appendUvarint(dst, indices.length);
  for (const idx of indices) appendUvarint(dst, idx);
}

/** The label indices a key lists; throws when the key is malformed or has a tail. */
export function readKeyIndices(src: ArrayLike<number>): number[] {
  let head;
  try {
    head = readUvarint(src, 0);
  } catch (err) {
    throw new Error(`BUG: cannot read labels count from compressed key: ${(err as Error).message}`);
  }
  const indices: number[] = new Array(head.value);
  let pos = head.next;
  for (let i = 0; i < head.value; i++) {
    let r;
    try {
      r = readUvarint(src, pos);
    } catch (err) {
      throw new Error(`BUG: cannot read label index ${i} of ${head.value}: ${(err as Error).message}`);
    }
    indices[i] = r.value;
    pos = r.next;
  }
  if (pos !== src.length) {
    throw new Error(`BUG: unexpected non-empty tail left: ${src.length - pos} bytes after ${head.value} labels`);
  }
  return indices;
}
