/**
 * Unsigned LEB128 ("uvarint" in protobuf and Go's encoding/binary): 7 bits per byte, least
 * significant group first, 0x80 set on every byte but the last. Compressed label keys are lists of these.
 */

/** Appends the uvarint of `value` (a non-negative safe integer) to `dst`. */
export function appendUvarint(dst: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`uvarint: not a non-negative safe integer: ${value}`);
  // Division, not >>>, so values above 2^32 stay exact.
  while (value >= 0x80) {
    dst.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  dst.push(value);
}

/** The uvarint of `value` as bytes. */
export function encodeUvarint(value: number): Uint8Array {
  const out: number[] = [];
  appendUvarint(out, value);
  return Uint8Array.from(out);
}

export interface UvarintRead {
  value: number;
  /** Offset just past the varint. */
  next: number;
}

/** Reads one uvarint at `offset`; throws on a truncated varint or one too long for a safe integer. */
export function readUvarint(src: ArrayLike<number>, offset: number): UvarintRead {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < src.length; i++) {
    const byte = src[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!Number.isSafeInteger(value)) break;
      return { value, next: i + 1 };
    }
    scale *= 0x80;
    if (i - offset >= 7) break; // 8 groups of 7 bits already exceed 2^53
  }
  throw new RangeError(`uvarint: malformed or truncated varint at offset ${offset}`);
}
