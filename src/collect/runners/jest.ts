/**
 * jest (jest-circus): test files run in a vm context, but the test environment class is
 * loaded with Node's `require`, and circus hands every event to the environment's
 * `handleTestEvent`. Just before circus calls a test or hook it announces it
 * (`test_fn_start`, `hook_start`); its function is swapped there for one that runs in
 * that test's context (same length, so done-callback tests stay done-callback tests).
 */
import { bindToTest, noteRunner } from '../test-context.js';
import { onRequire } from './module-hook.js';

interface Block {
  name: string;
  parent?: Block;
}
interface Runnable {
  fn?: (...args: never[]) => unknown;
  name?: string;
  type?: string;
  parent?: Block;
}
interface CircusEvent {
  name: string;
  test?: Runnable;
  hook?: Runnable;
}
type Handler = (event: CircusEvent, state: unknown) => unknown;
type EnvironmentClass = { prototype: { handleTestEvent?: Handler; [key: symbol]: unknown } };

const PATCHED = Symbol.for('leakprof.jest');
const ROOT = 'ROOT_DESCRIBE_BLOCK';
const bound = new WeakSet<object>();

function blockPath(block: Block | undefined): string[] {
  const names: string[] = [];
  for (let b = block; b && b.name !== ROOT; b = b.parent) names.unshift(b.name);
  return names;
}

function bind(runnable: Runnable | undefined, name: string): void {
  if (!runnable?.fn || bound.has(runnable.fn)) return;
  runnable.fn = bindToTest(name, runnable.fn);
  bound.add(runnable.fn);
}

function onEvent(event: CircusEvent): void {
  if (event.name === 'test_fn_start' && event.test) {
    bind(event.test, [...blockPath(event.test.parent), event.test.name ?? ''].join(' > '));
  } else if (event.name === 'hook_start' && event.hook) {
    bind(event.hook, [...blockPath(event.hook.parent), event.hook.type ?? 'hook'].join(' > '));
  }
}

function patchEnvironment(exports: unknown): void {
  const mod = exports as { default?: EnvironmentClass; TestEnvironment?: EnvironmentClass };
  const Environment = mod.TestEnvironment ?? mod.default;
  const proto = Environment?.prototype;
  if (!proto || proto[PATCHED]) return;
  const own = proto.handleTestEvent;
  proto.handleTestEvent = function (this: unknown, event, state) {
    onEvent(event);
    return own?.call(this, event, state);
  };
  proto[PATCHED] = true;
  noteRunner('jest');
}

export function instrumentJest(): void {
  onRequire({
    matches: (request) => request.includes('jest-environment-node') || request.includes('jest-environment-jsdom'),
    apply: patchEnvironment,
  });
}
