/** Signal numbers, from the OS's own table (os.constants.signals): the one place leakprof turns a signal into an exit code. */
import { constants } from 'node:os';

/** The exit code a shell gives a process ended by `signal`: 128 + its number (SIGALRM → 142, SIGXCPU → 152). */
export function exitCodeForSignal(signal: string): number {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 0);
}
