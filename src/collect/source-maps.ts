/**
 * Maps frames of transpiled code (TypeScript, bundles) back to their sources, in the
 * process that loaded them: Node keeps the maps when the workload runs with
 * --enable-source-maps or through a loader such as tsx. Only reported stacks pay for it.
 */
import { findSourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WireFrame } from '../transport/messages.js';

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
  }
  cache.set(file, map);
  return map;
}

export function mapFrames(frames: WireFrame[]): WireFrame[] {
  return frames.map((frame) => {
    const map = mapFor(frame.file);
    if (!map || frame.line < 1) return frame;
    try {
      const entry = map.findEntry(frame.line - 1, frame.col - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
        name?: string;
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
  });
}
