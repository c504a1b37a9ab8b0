/**
 * Frames as a report shows them: classified (user, node, dependency, leakprof) and with paths
 * relative to the working directory. Whose frame it is comes from ../collect/frame-owner.ts (one
 * answer for the collector and the report); this module adds "is this the test runner's or the
 * package manager's own?" (toolOf, toolOwner).
 */
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frameOwner, PACKAGE_MANAGER_FILE } from '../collect/frame-owner.js';
import type { WireFrame } from '../transport/messages.js';
import type { FrameReport } from '../report/schema.js';

export function toPath(file: string): string {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file);
    } catch {
      return file;
    }
  }
  return file;
}

/** Whose frame this is: one answer, in ../collect/frame-owner.ts, for the collector and the report. */
export function frameKind(file: string): FrameReport['kind'] {
  return frameOwner(file);
}

/** Test runners and package managers, by their packages' names (the first package on a path that is one of theirs). */
const TOOL_PACKAGES: Array<[RegExp, string]> = [
  [/^(vitest|vite-node|@vitest\/[^/]+)$/, 'vitest'],
  [/^(jest|jest-[^/]+|babel-jest|@jest\/[^/]+)$/, 'jest'],
  [/^mocha$/, 'mocha'],
  // npm's own libraries (@npmcli/…) are under node_modules/npm/: the package manager is the first package on the path.
  [/^(npm|yarn|pnpm|corepack)$/, '$1'],
];
const NODE_TEST_INTERNALS = 'node:internal/test_runner/';

/** The test runner or package manager whose own file this is (`vitest`, `jest`, `mocha`, `node:test`, `npm`, `yarn`, `pnpm`), if any. */
export function toolOf(file: string): string | undefined {
  if (file.startsWith('node:')) return file.startsWith(NODE_TEST_INTERNALS) ? 'node:test' : undefined;
  const path = toPath(file).split(sep).join('/');
  const manager = PACKAGE_MANAGER_FILE.exec(path);
  if (manager) return manager[1] ?? 'yarn';
  const parts = path.split('/');
  for (let i = parts.indexOf('node_modules'); i >= 0 && i < parts.length - 1; i = parts.indexOf('node_modules', i + 1)) {
    const first = parts[i + 1]!;
    if (first.startsWith('.')) continue; // pnpm's .pnpm store: the real package is under its own node_modules
    const name = first.startsWith('@') ? `${first}/${parts[i + 2] ?? ''}` : first;
    for (const [pattern, tool] of TOOL_PACKAGES) if (pattern.test(name)) return name.replace(pattern, tool);
  }
  return undefined;
}

/**
 * The tool whose own resource this is, by where it was created: no frame of the user's code
 * in the stack, and the code nearest the creation (past Node's own frames) is the tool's. A
 * library the runner happened to call (a hook given straight as `beforeEach(db.connect)`) is
 * nearer than the runner, so what it makes stays the library's, not the runner's.
 */
export function toolOwner(frames: readonly FrameReport[]): string | undefined {
  if (frames.some((f) => f.kind === 'user')) return undefined;
  for (const f of frames) {
    if (f.kind === 'leakprof') continue;
    const tool = toolOf(f.file);
    if (tool !== undefined || f.kind !== 'node') return tool;
  }
  return undefined;
}

export function displayPath(file: string, cwd: string): string {
  const path = toPath(file);
  if (!path.startsWith('/')) return path;
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

export function toFrameReports(frames: WireFrame[], cwd: string): FrameReport[] {
  return frames.map((f) => {
    const out: FrameReport = {
      function: f.fn,
      file: displayPath(f.file, cwd),
      line: f.line,
      column: f.col,
      kind: frameKind(f.file),
    };
    if (f.async) out.async = true;
    if (f.evalOrigin) out.evalOrigin = f.evalOrigin;
    return out;
  });
}

export function topUserFrame(frames: FrameReport[]): FrameReport | null {
  return frames.find((f) => f.kind === 'user') ?? null;
}
