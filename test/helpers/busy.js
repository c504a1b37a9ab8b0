// Busy processes beside a test, to show a verdict does not depend on how loaded the machine is.
import { spawn } from 'node:child_process';

/** Starts `count` processes that spin on a core each; returns a function that ends them. */
export function startBusy(count = 2) {
  const children = [];
  for (let i = 0; i < count; i++) {
    children.push(spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  }
  return () => {
    for (const child of children) child.kill('SIGKILL');
  };
}

/** The busy processes test/stress.mjs already runs beside the whole suite (LEAKPROF_STRESS_BUSY). */
const ALREADY_BUSY = Number(process.env.LEAKPROF_STRESS_BUSY ?? 0);

/** Runs `fn` with `count` busy processes beside it, counting those the stress run already started. */
export async function withBusy(count, fn) {
  const stop = startBusy(Math.max(0, count - ALREADY_BUSY));
  try {
    return await fn();
  } finally {
    stop();
  }
}
