/**
 * mocha: every test and hook runs through `Runnable.prototype.run`, one at a time; it is
 * patched (when mocha's lib/runnable.js is first required) to run in the context of that
 * runnable's title path, so the test's later async work keeps the name too.
 */
import { sep } from 'node:path';
import { runInTest } from '../test-context.js';
import { onRequire } from './module-hook.js';

interface Runnable {
  titlePath(): string[];
}
type RunnableClass = { prototype: { run: (this: Runnable, ...args: unknown[]) => unknown; [key: symbol]: unknown } };

const PATCHED = Symbol.for('leakprof.mocha');
const MOCHA_LIB = `${sep}mocha${sep}lib${sep}`;

function patchRunnable(Runnable: RunnableClass): void {
  const proto = Runnable.prototype;
  if (typeof proto.run !== 'function' || proto[PATCHED]) return;
  const run = proto.run;
  proto.run = function (this: Runnable, ...args: unknown[]): unknown {
    return runInTest(this.titlePath().join(' > '), () => run.apply(this, args));
  };
  proto[PATCHED] = true;
}

export function instrumentMocha(): void {
  onRequire({
    matches: (request, parentFile) => request.endsWith('runnable') && parentFile.includes(MOCHA_LIB),
    apply: (exports) => patchRunnable(exports as RunnableClass),
  });
}
