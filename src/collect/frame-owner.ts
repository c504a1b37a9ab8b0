/**
 * Whose code a frame runs: the one answer to "is this the user's frame?" and "is this
 * leakprof's own?", for the collector (in the child, on the capture path: a few string
 * tests, no allocation for a path) and for the analysis alike.
 *
 * leakprof's own code is everything it ships but the built-in workload (`leakprof load` and
 * `demo` run that as the program): its `dist/` files, and its `src/…ts` files, which is
 * where a source map (`--enable-source-maps`) takes a frame of `dist/`. Own frames are
 * dropped from every reported stack (see `source-maps.ts`); user frames are what a report
 * locates a group at.
 */
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FrameOwner = 'user' | 'node' | 'dependency' | 'leakprof';

/** leakprof's `dist/` folder (this file is `dist/collect/frame-owner.js`), with a trailing separator. */
export const LEAKPROF_DIST = fileURLToPath(new URL('../', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN = [LEAKPROF_DIST, `${ROOT}src${sep}`];
const NOT_OWN = OWN.map((dir) => `${dir}workload${sep}`);
const NODE_MODULES = [`${sep}node_modules${sep}`, '/node_modules/'];
/** A package manager run from corepack's cache or a checked-in yarn release: not in node_modules, still not the user's. */
export const PACKAGE_MANAGER_FILE = /[\\/]node[\\/]corepack[\\/](?:v\d+[\\/])?(npm|yarn|pnpm)[\\/]|[\\/]\.yarn[\\/]releases[\\/]/;

export function frameOwner(file: string): FrameOwner {
  if (file.startsWith('node:')) return 'node';
  const path = file.startsWith('file://') ? safePath(file) : file;
  if (isOwnPath(path)) return 'leakprof';
  if (NODE_MODULES.some((dir) => path.includes(dir))) return 'dependency';
  // Cheap tests first: this runs on the capture path for every user frame.
  if ((path.includes('corepack') || path.includes('.yarn')) && PACKAGE_MANAGER_FILE.test(path)) return 'dependency';
  return 'user';
}

export function isUserFile(file: string): boolean {
  return frameOwner(file) === 'user';
}

export function isOwnFile(file: string): boolean {
  return frameOwner(file) === 'leakprof';
}

function isOwnPath(path: string): boolean {
  for (let i = 0; i < OWN.length; i++) {
    if (path.startsWith(OWN[i]!)) return !path.startsWith(NOT_OWN[i]!);
  }
  return false;
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
