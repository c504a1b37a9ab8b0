/**
 * Per-test attribution: the runner integrations, installed in every instrumented process
 * where their runner may run. jest's waits for jest's own modules to be required; mocha's
 * (interface globals) only in mocha's processes; vitest's only in its workers (VITEST=true);
 * node:test's (a short-lived async hook watching for its first Test) only where a test run
 * is likely: node --test and its children, or a test-looking entry script. Anything else
 * is named from the source at report time (../../analyse/test-from-source.ts).
 */
import { instrumentJest } from './jest.js';
import { instrumentMocha, isMochaProcess } from './mocha.js';
import { instrumentNodeTest } from './node-test.js';
import { instrumentVitest } from './vitest.js';
import { noteRunner, noteUnrecognised } from '../test-context.js';
import { watchCrossTestCloses } from './cross-test-close.js';

const TEST_FILE = /(^|[/\\])(test|tests|__tests__)[/\\]|[.-](test|spec)\.[cm]?[jt]sx?$/;

function looksLikeNodeTest(): boolean {
  if (process.env.NODE_TEST_CONTEXT !== undefined) return true;
  if (process.execArgv.some((a) => a === '--test' || a.startsWith('--test='))) return true;
  const entry = process.argv[1];
  return entry !== undefined && TEST_FILE.test(entry);
}

/** A runner's own CLI process (it may start workers that run the tests): what it leaves behind is the runner's. */
const RUNNER_BINS: Array<[RegExp, string]> = [
  [/[\\/]vitest(\.m?js)?$|[\\/]vitest[\\/]/, 'vitest'],
  [/[\\/]jest(\.js)?$|[\\/]jest(-cli)?[\\/]bin[\\/]/, 'jest'],
  [/[\\/]_?mocha(\.c?js)?$|[\\/]mocha[\\/](bin|lib)[\\/]/, 'mocha'],
];

const INSTALLED = Symbol.for('leakprof.testRunners');

export function instrumentTestRunners(): void {
  // Once per process: the preload and `leakprof/register` may both ask.
  const globals = globalThis as Record<symbol, unknown>;
  // A way out, should an integration ever get in a runner's way: LEAKPROF_TEST_ATTRIBUTION=0.
  if (globals[INSTALLED] || process.env.LEAKPROF_TEST_ATTRIBUTION === '0') return;
  globals[INSTALLED] = true;
  const entry = process.argv[1] ?? '';
  for (const [pattern, name] of RUNNER_BINS) if (pattern.test(entry)) noteRunner(name);
  if (process.execArgv.some((a) => a === '--test' || a.startsWith('--test='))) noteRunner('node:test');
  const steps: Array<[boolean, string, () => void]> = [
    [looksLikeNodeTest(), 'node:test', instrumentNodeTest],
    [isMochaProcess(), 'mocha', instrumentMocha],
    [true, 'jest', instrumentJest],
    [process.env.VITEST === 'true', 'vitest', instrumentVitest],
    [looksLikeNodeTest() || isMochaProcess() || process.env.VITEST === 'true' || /[\\/]jest/.test(entry), 'test runner', watchCrossTestCloses],
  ];
  for (const [wanted, runner, install] of steps) {
    if (!wanted) continue;
    try {
      install();
    } catch {
      // A runner we cannot instrument still runs; its leaks are just not named after tests.
      noteUnrecognised(runner);
    }
  }
}

/**
 * A test runner's worker process (vitest's forks, jest's workers): its runner ends it with
 * SIGTERM once its tests ran, by design, so that signal is the only moment its last state can
 * be written. Only here does the collector listen to a signal (collector.ts).
 */
export function isRunnerWorker(): boolean {
  if (typeof process.send !== 'function') return false;
  return process.env.VITEST === 'true' || process.env.JEST_WORKER_ID !== undefined;
}
