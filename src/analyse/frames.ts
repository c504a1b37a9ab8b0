/** Frames as a report shows them: classified (user, node, dependency, leakprof) and with paths relative to the working directory. */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frameOwner } from '../collect/frame-owner.js';
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
