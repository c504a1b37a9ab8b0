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

/** Runs `fn` with `count` busy processes beside it. */
export async function withBusy(count, fn) {
  const stop = startBusy(count);
  try {
    return await fn();
  } finally {
    stop();
  }
}
