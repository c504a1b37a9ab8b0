/**
 * Files leakprof writes when a run is over (-o, --junit, --baseline, --pprof): checked before
 * the workload starts, so a wrong path costs a line, not the run's report.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class OutputPathError extends Error {}

/** Throws one line saying why `file` could not be written (`what` is the flag: `-o`, `--junit`). */
export function checkOutputFile(file: string, what: string): void {
  const path = resolve(file);
  const st = statOrUndefined(path, file, what);
  if (st?.isDirectory()) throw new OutputPathError(`${what} ${file} is a folder: give a file name in it, such as ${join(file, 'leakprof-report.json')}`);
  const dir = dirname(path);
  const dirStat = statOrUndefined(dir, dirname(file), what);
  if (!dirStat) throw new OutputPathError(`${what} ${file}: the folder ${dirname(file)} does not exist (create it first)`);
  if (!dirStat.isDirectory()) throw new OutputPathError(`${what} ${file}: ${dirname(file)} is not a folder`);
  try {
    accessSync(st ? path : dir, constants.W_OK);
  } catch {
    throw new OutputPathError(`${what} ${file}: ${st ? 'the file' : `the folder ${dirname(file)}`} is not writable`);
  }
}

function statOrUndefined(path: string, shown: string, what: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new OutputPathError(`${what} ${shown}: a part of the path is a file, not a folder`);
    throw new OutputPathError(`${what} ${shown}: ${code ?? (error as Error).message}`);
  }
}
