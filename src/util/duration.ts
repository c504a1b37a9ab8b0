/** Durations as users type them (`30s`, `500ms`, `2m`, `1h30m`, a bare number of ms) and as reports print them. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest delay a Node timer keeps (2^31-1 ms, 596h31m): a longer one fires after 1 ms with a
 * TimeoutOverflowWarning. Every duration leakprof takes ends up in a timer, so none may be longer.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export class DurationError extends Error {}

export function parseDuration(text: string | number): number {
  return inTimerRange(parse(text), text);
}

/**
 * A duration flag or option, its name in the message: `--timeout 600h: …`. `positive` for the
 * ones where 0 would mean nothing (a timeout, a period): leaving the flag out turns them off.
 */
export function parseDurationOption(text: string | number, name: string, options: { positive?: boolean } = {}): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new DurationError(`${name}: ${(error as Error).message}`);
  }
  if (options.positive && ms <= 0) throw new DurationError(`${name} ${text}: must be more than 0 (leave ${name} out to turn it off); durations go from 1ms to ${formatDuration(MAX_TIMER_MS)}`);
  return ms;
}

/** For durations given as numbers through the library API: the same range as typed ones. */
export function checkTimerRange(ms: number | undefined, name: string): void {
  if (ms === undefined) return;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMER_MS) throw new DurationError(`${name} must be between 0 and ${MAX_TIMER_MS} ms (${formatDuration(MAX_TIMER_MS)}, the longest timer Node has), got ${ms}`);
}

function inTimerRange(ms: number, text: string | number): number {
  if (ms > MAX_TIMER_MS) throw new DurationError(`duration "${text}" is longer than ${formatDuration(MAX_TIMER_MS)} (2^31-1 ms), the longest timer Node has`);
  return ms;
}

function parse(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new DurationError(`invalid duration: ${text}`);
    return text;
  }
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new DurationError(`invalid duration "${text}": use a number with a unit, such as 500ms, 30s, 2m or 1h`);
  }
  return total;
}

/** Compact age: 850ms, 12.3s, 10m2s, 2h5m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  }
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.floor((ms % 60_000) / 1000);
    return s ? `${m}m${s}s` : `${m}m`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return m ? `${h}h${m}m` : `${h}h`;
}

/** An age range as Go prints a wait: one value when both ends round alike, else `min..max`. */
export function formatAgeRange(minMs: number, maxMs: number): string {
  const lo = formatDuration(minMs);
  const hi = formatDuration(maxMs);
  return lo === hi ? lo : `${lo}..${hi}`;
}
