/**
 * Maps frames of transformed code back to the user's source lines, in the process that
 * loaded it, and drops leakprof's own frames. Only reported stacks pay for it, once each.
 *
 * A frame's map comes from, in order:
 * - Node's own cache (`findSourceMap`): kept when the workload runs with
 *   `--enable-source-maps`, or when its loader turned source maps on (tsx does);
 * - a runner's integration, for code the runner compiled where Node does not look (jest's
 *   cache, vitest's module runner);
 * - the `//# sourceMappingURL=` comment V8 read from the compiled code, as the inspector
 *   reports it: code a require hook transformed in memory carries its map inline (nyc and
 *   istanbul, @babel/register, ts-node), and a build's `.js` files name their `.map` file.
 *   The file on disk is then the original, so its line is the one a report must print.
 * leakprof's own files are never mapped (their maps lead to its `src/…ts`): they are dropped.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import Module, { findSourceMap, type SourceMap } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WireFrame } from '../transport/messages.js';
import { isOwnFile } from './frame-owner.js';
import { sourceMapFor } from './runners/runner-source-maps.js';
import { onRequire } from './runners/module-hook.js';

type SourceMapLike = ReturnType<typeof findSourceMap>;

const cache = new Map<string, SourceMapLike | null>();

/** Maps Node does not keep (code a test runner compiled itself, such as vitest's) come from that runner's integration. */
export type SourceMapProvider = (file: string) => SourceMapLike | undefined;
const providers: SourceMapProvider[] = [];

export function addSourceMapProvider(provider: SourceMapProvider): void {
  providers.push(provider);
}

function mapFor(file: string): SourceMapLike | null {
  let map = cache.get(file);
  if (map !== undefined) return map;
  map = null;
  if (!file.startsWith('node:')) {
    try {
      map = findSourceMap(file) ?? null;
      if (!map) {
        const alt = file.startsWith('file://') ? fileURLToPath(file) : pathToFileURL(file).href;
        map = findSourceMap(alt) ?? null;
      }
    } catch {
      map = null;
    }
    for (const provider of providers) {
      if (map) break;
      try {
        map = provider(file) ?? null;
      } catch {
        map = null;
      }
    }
    if (!map) map = commentedMap(file);
  }
  cache.set(file, map);
  return map;
}

/** Every script V8 has compiled, by path, as of the last look, with the sourceMappingURL it read from the code ('' when none). */
const scripts = new Map<string, string>();

function commentedMap(file: string): SourceMap | null {
  // Only scripts with a location can have a map to read (eval'd code, `<anonymous>`, has none).
  if (!file.startsWith('/') && !file.startsWith('file://') && !/^[A-Za-z]:[\\/]/.test(file)) return null;
  let path: string;
  try {
    path = file.startsWith('file://') ? fileURLToPath(file) : file;
  } catch {
    return null;
  }
  let url: string | undefined;
  if (mayBeRewritten(path)) {
    if (!scripts.has(path)) lookAtScripts();
    url = scripts.get(path);
  } else {
    // Compiled as it is on disk: its own comment is the one V8 read.
    url = commentOf(path);
  }
  if (!url) return null;
  try {
    return sourceMapFor(path, mapText(url, path));
  } catch {
    return null;
  }
}

/**
 * Whether the code V8 compiled for `path` may differ from the file on disk: a require hook
 * replaced Node's own loader for its extension (nyc, @babel/register, ts-node, pirates), Node
 * has no loader for it (`.ts` through a loader), or the process runs with loader hooks
 * (`--import`, `--loader`: they may transform ES modules). Only then is the inspector asked,
 * whose first use costs tens of milliseconds; when unsure, it is asked.
 */
function mayBeRewritten(path: string): boolean {
  return requireHooked(path) || loaderFlags();
}

/** Whether `require` runs `path` through a handler other than Node's own for its extension (or through none Node has). */
function requireHooked(path: string): boolean {
  const ext = extname(path);
  if (ext === '.mjs') return false;
  const handler = (Module as unknown as { _extensions?: Record<string, unknown> })._extensions?.[ext];
  return typeof handler !== 'function' || !isNodesOwnLoader(handler);
}

let lookSoon = false;

/**
 * The inspector lists a script only while V8 still has it, and a runner may let go of a test
 * file's functions once its tests ran (mocha does), so that V8 drops the file's script before
 * the process ends, when its stacks are mapped: the file was reported at its compiled lines.
 * So a test file a require hook compiled has the scripts looked at once it has loaded (one
 * look per synchronous run of loads: 80-190 ms at load average 40 with 350 scripts, most of it
 * the first time), which records its map's URL while the script is there. Only test files: a
 * program's own modules stay reachable through their exports.
 */
const TEST_FILE = /(^|[\\/])(test|tests|__tests__|spec)[\\/]|[.-](test|spec)\.[^\\/]+$/;
export function watchRequireHookedScripts(): void {
  onRequire({
    matches: (file) => TEST_FILE.test(file) && !isOwnFile(file) && requireHooked(file),
    apply: () => {
      if (!lookSoon) {
        lookSoon = true;
        queueMicrotask(() => {
          lookSoon = false;
          lookAtScripts();
        });
      }
      return undefined;
    },
  });
}

const nodesOwn = new WeakMap<object, boolean>();

/** Node's own `.js`/`.cjs` loader (20, 22, 24), told by its source: a hook in its place wraps it. */
function isNodesOwnLoader(handler: Function): boolean {
  let own = nodesOwn.get(handler);
  if (own === undefined) {
    own = Function.prototype.toString.call(handler).includes('let format, pkg;');
    nodesOwn.set(handler, own);
  }
  return own;
}

let loaders: boolean | undefined;

function loaderFlags(): boolean {
  if (loaders === undefined) {
    const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
    loaders = args.some((arg, i) => {
      if (/^--(experimental-)?loader\b/.test(arg)) return true;
      if (!arg.startsWith('--import')) return false;
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (args[i + 1] ?? '');
      return !isOwnFile(value.replace(/^["']|["']$/g, ''));
    });
  }
  return loaders;
}

/** The last `//# sourceMappingURL=` of the file on disk, if any. */
function commentOf(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const at = text.lastIndexOf('//# sourceMappingURL=');
    if (at < 0) return undefined;
    const url = text.slice(at + '//# sourceMappingURL='.length).split(/\s/, 1)[0];
    return url || undefined;
  } catch {
    return undefined;
  }
}

/** The map's JSON: inline (`data:application/json;base64,…` or URL-encoded) or a file next to the script. */
function mapText(url: string, scriptPath: string): string {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const body = url.slice(comma + 1);
    return /;base64$/i.test(url.slice(0, comma)) ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : resolve(dirname(scriptPath), url);
  return readFileSync(path, 'utf8');
}

/**
 * Asks V8 for the scripts it has compiled: enabling the debugger in an in-process session
 * reports each once (`Debugger.scriptParsed`, with the map's URL), synchronously; it is
 * disabled again at once. Only at report time, and again only when a stack names a file
 * compiled since the last look.
 */
function lookAtScripts(): void {
  let session: Session | undefined;
  try {
    session = new Session();
    session.connect();
    session.on('Debugger.scriptParsed', (message: { params: { url?: string; sourceMapURL?: string } }) => {
      const { url, sourceMapURL } = message.params;
      // The inspector names CommonJS files by URL too (`file:///…`), where their frames have the path; a vm script keeps its filename.
      if (url?.startsWith('file://')) scripts.set(fileURLToPath(url), sourceMapURL ?? '');
      else if (url?.startsWith('/')) scripts.set(url, sourceMapURL ?? '');
    });
    session.post('Debugger.enable');
    session.post('Debugger.disable');
  } catch {
    // No inspector in this Node build: frames stay where the compiled code has them.
  } finally {
    try {
      session?.disconnect();
    } catch {
      // already gone
    }
  }
}

/** The frames as a report shows them: leakprof's own dropped, the others at their source lines. */
export function mapFrames(frames: WireFrame[]): WireFrame[] {
  const out: WireFrame[] = [];
  for (const frame of frames) {
    if (isOwnFile(frame.file)) continue;
    out.push(mapFrame(frame));
  }
  return out;
}

function mapFrame(frame: WireFrame): WireFrame {
  const map = mapFor(frame.file);
  if (!map || frame.line < 1) return frame;
  try {
    const entry = map.findEntry(frame.line - 1, frame.col - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return frame;
    return {
      ...frame,
      file: entry.originalSource,
      line: entry.originalLine + 1,
      col: (entry.originalColumn ?? 0) + 1,
    };
  } catch {
    return frame;
  }
}
