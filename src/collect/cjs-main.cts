/**
 * Node (20, 22 and 24 alike) runs the main script through the ES module loader whenever there
 * is an `--import` (the --import modules are loaded on that path), and that loader knows only
 * its own extensions: a script a require hook compiles (`ts-node script.ts`, `node -r
 * ts-node/register script.ts`, any `require.extensions` hook) fails there with
 * ERR_UNKNOWN_FILE_EXTENSION, or (`.ts` on Node >= 22.18) is compiled by Node instead of the
 * hook, where without leakprof's --import the hook runs it. So, when leakprof's preload is the
 * only --import and no loader is given, a main script that bare Node would hand to `require`
 * and that a require hook claims is run as Node runs it without --import
 * (`Module._load(main, null, true)`), after the preload.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type ModuleInternals = typeof Module & {
  runMain?: (main?: string) => unknown;
  _load?: (request: string, parent: unknown, isMain: boolean) => unknown;
  _findPath?: (request: string, paths: unknown, isMain: boolean) => string | false;
  _extensions?: Record<string, unknown>;
};

/** Extensions the ES module loader itself loads (an extensionless script is CommonJS to it). */
const OWN_EXTENSIONS = new Set(['', '.js', '.mjs', '.cjs', '.json', '.node', '.wasm']);
/** Scripts bare Node runs as ES modules whatever their package says. */
const ALWAYS_ESM = new Set(['.mjs', '.mts']);
const ALWAYS_CJS = new Set(['.cjs', '.cts']);

/** The `type` of the package.json nearest to `file` (Node's package scope), or undefined. */
function packageType(file: string): unknown {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Whether Node without --import would run `file` with `require` (run_main's choice), a require hook claiming its extension. */
function requireHookedMain(file: string, extensions: Record<string, unknown> | undefined): boolean {
  const ext = extname(file);
  if (OWN_EXTENSIONS.has(ext) || ALWAYS_ESM.has(ext) || typeof extensions?.[ext] !== 'function') return false;
  if (flagValues(['--experimental-default-type']).includes('module')) return false;
  return ALWAYS_CJS.has(ext) || packageType(file) !== 'module';
}
const COLLECTOR = Symbol.for('leakprof.collector');

/** The values of a flag in execArgv and NODE_OPTIONS (`--flag=v`, `--flag v`). */
function flagValues(names: readonly string[]): string[] {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  const values: string[] = [];
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name) values.push(args[i + 1] ?? '');
      else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
    }
  });
  return values.map((v) => v.replace(/^["']|["']$/g, ''));
}

export function keepRequireHookedMain(preloadPath: string): void {
  const preloadUrl = pathToFileURL(preloadPath).href;
  const imports = flagValues(['--import']);
  if (imports.length === 0 || imports.some((value) => value !== preloadUrl && value !== preloadPath)) return;
  if (flagValues(['--loader', '--experimental-loader']).length > 0) return;
  const M = Module as ModuleInternals;
  const runMain = M.runMain;
  if (typeof runMain !== 'function' || typeof M._load !== 'function' || typeof M._findPath !== 'function') return;
  M.runMain = function (this: unknown, main: string = process.argv[1] ?? '', ...rest: unknown[]): unknown {
    let hooked = false;
    try {
      const file = M._findPath!(resolve(main), null, true);
      hooked = !!file && requireHookedMain(file, M._extensions);
    } catch {
      hooked = false;
    }
    if (!hooked) return (runMain as (...a: unknown[]) => unknown).call(this, main, ...rest);
    const load = (): unknown => M._load!(main, null, true);
    // A runner that starts the script itself (ts-node's bin) does so after the preload ran.
    if ((globalThis as Record<symbol, unknown>)[COLLECTOR] !== undefined) return load();
    // As Node does with --import: the preload first, then the script; a throw is the script's own uncaught exception.
    void import(preloadUrl).then(
      () => process.nextTick(load),
      () => process.nextTick(load),
    );
    return undefined;
  };
}
