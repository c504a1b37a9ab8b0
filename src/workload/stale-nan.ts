/**
 * Prometheus' staleness marker, the NaN with bits 0x7ff0000000000002. It is a signalling NaN, and
 * x86-64 sets the quiet bit (0x0008000000000000) when the value passes through a register, so a JS
 * number holding it reads back as 0x7ff8000000000002. The check ignores that bit.
 */
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

const STALE_NAN_BITS = 0x7ff0000000000002n;
const QUIET_BIT = 0x0008000000000000n;

u64[0] = STALE_NAN_BITS;
export const STALE_NAN: number = f64[0]!;

export function isStaleNaN(value: number): boolean {
  if (value === value) return false; // not NaN: the common case, without touching the buffer
  f64[0] = value;
  return (u64[0]! & ~QUIET_BIT) === STALE_NAN_BITS;
}
