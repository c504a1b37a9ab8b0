/**
 * Deno's `closed_inside_started_before`: a test that clears a timer it did not start (the
 * module's top level or another test did). Not a leak, but tests that share live state hide
 * each other's leaks from per-test checks, so it is noted, once per test and creating line:
 * `test "x" cleared a Timeout it did not make (made outside any test, at a.test.mjs:6)`.
 * Only global clearTimeout/clearInterval are watched (what test files call).
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireFrame } from '../../transport/messages.js';
import { isUserFile } from '../frame-owner.js';
import { addTestNote, currentTest, sameTest, testName } from '../test-context.js';

interface RecordLike {
  test: number;
  stack: number;
  kind: { type: string };
}
interface CollectorLike {
  table?: { live?: Map<number, RecordLike>; stackOf?(record: RecordLike): number };
  stacks?: { frames?: WireFrame[][] };
}

let asyncIdSymbol: symbol | undefined;

function asyncIdOf(timer: object): number | undefined {
  asyncIdSymbol ??= Object.getOwnPropertySymbols(timer).find((s) => s.description === 'asyncId' || s.description === 'async_id_symbol');
  const id = asyncIdSymbol ? (timer as Record<symbol, unknown>)[asyncIdSymbol] : undefined;
  return typeof id === 'number' ? id : undefined;
}

function where(frames: WireFrame[] | undefined): string | undefined {
  const frame = frames?.find((f) => isUserFile(f.file));
  if (!frame) return undefined;
  const path = frame.file.startsWith('file://') ? fileURLToPath(frame.file) : frame.file;
  const rel = relative(process.cwd(), path);
  return `${rel.startsWith('..') ? path : rel}:${frame.line}`;
}

function noteClose(timer: unknown): void {
  if (!timer || typeof timer !== 'object') return;
  const current = currentTest();
  if (current < 0) return;
  const id = asyncIdOf(timer);
  const collector = (globalThis as Record<symbol, unknown>)[Symbol.for('leakprof.collector')] as CollectorLike | undefined;
  const record = id === undefined ? undefined : collector?.table?.live?.get(id);
  // Only timers the user's code made: a runner clearing its own timeout inside a test is no news.
  // A timer's stack may be taken lazily: stackOf interns it on first read.
  const stack = record ? (collector?.table?.stackOf?.(record) ?? record.stack) : -1;
  if (!record || stack < 0) return;
  const at = where(collector?.stacks?.frames?.[stack]);
  if (at === undefined) return;
  const closer = testName(current)!;
  const owner = testName(record.test);
  if (owner !== undefined && sameTest(owner, closer)) return;
  addTestNote(
    `test "${closer}" cleared a ${record.kind.type} it did not make (made ${owner === undefined ? 'outside any test' : `in test "${owner}"`}, at ${at}): tests that share live state can hide each other's leaks`,
  );
}

export function watchCrossTestCloses(): void {
  const globals = globalThis as Record<string, unknown>;
  for (const name of ['clearTimeout', 'clearInterval']) {
    const original = globals[name];
    if (typeof original !== 'function') continue;
    const watched = function (this: unknown, timer: unknown): unknown {
      try {
        noteClose(timer);
      } catch {
        // never in the way of the test
      }
      return (original as (t: unknown) => unknown).call(this, timer);
    };
    Object.defineProperty(watched, 'name', { value: name });
    globals[name] = watched;
  }
}
