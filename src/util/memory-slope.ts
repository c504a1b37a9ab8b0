/** Least-squares slope of heap over time: the "is it still growing" number of a load run. */
export interface MemorySample {
  tMs: number;
  heapUsed: number;
}

/** Bytes per minute; 0 with fewer than two samples or no time spread. */
export function memorySlope(samples: readonly MemorySample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const s of samples) {
    sx += s.tMs;
    sy += s.heapUsed;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.tMs - mx) * (s.heapUsed - my);
    den += (s.tMs - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}
