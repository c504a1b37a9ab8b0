/**
 * Creation stacks, captured cheaply and interned: V8 hands us structured call sites
 * (no string formatting), we key them by file:line:col, and identical stacks share one
 * id. A million resources from one line cost one stored stack.
 */
import { fileURLToPath } from 'node:url';
import type { WireFrame } from '../transport/messages.js';
import type { StackBoundary } from './resource-source.js';

// leakprof's own collector and transport frames are never a user's frames.
const OWN_DIRS = ['collect', 'transport'].map((d) => fileURLToPath(new URL(`../${d}/`, import.meta.url)));

export function isUserFile(file: string): boolean {
  if (file.startsWith('node:') || file.includes('/node_modules/')) return false;
  const path = file.startsWith('file://') ? safePath(file) : file;
  return !OWN_DIRS.some((dir) => path.startsWith(dir));
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

type CallSite = NodeJS.CallSite & { isAsync?(): boolean; getScriptNameOrSourceURL?(): string | null };

export class StackTable {
  private readonly ids = new Map<string, number>();
  readonly frames: WireFrame[][] = [];
  readonly hasUserFrame: boolean[] = [];
  private readonly prepare: (error: Error, sites: CallSite[]) => number;

  constructor(private readonly depth: number) {
    this.prepare = (_error, sites) => this.intern(sites);
  }

  /** Captures the current stack, cut at `boundary`, and returns its interned id. */
  capture(boundary: StackBoundary): number {
    const ErrorCtor = Error as ErrorConstructor & { prepareStackTrace?: unknown };
    const savedPrepare = ErrorCtor.prepareStackTrace;
    const savedLimit = Error.stackTraceLimit;
    ErrorCtor.prepareStackTrace = this.prepare;
    Error.stackTraceLimit = this.depth;
    const holder: { stack?: unknown } = {};
    try {
      Error.captureStackTrace(holder, boundary);
      const id = holder.stack;
      return typeof id === 'number' ? id : -1;
    } catch {
      return -1;
    } finally {
      ErrorCtor.prepareStackTrace = savedPrepare;
      Error.stackTraceLimit = savedLimit;
    }
  }

  private intern(sites: CallSite[]): number {
    let key = '';
    for (const site of sites) {
      key += `${site.getFileName() ?? site.getEvalOrigin() ?? '?'}:${site.getLineNumber()}:${site.getColumnNumber()}${site.isAsync?.() ? 'a' : ''}|`;
    }
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.frames.length;
      const frames = sites.map(toFrame);
      this.frames.push(frames);
      this.hasUserFrame.push(frames.some((f) => isUserFile(f.file)));
      this.ids.set(key, id);
    }
    return id;
  }
}

function toFrame(site: CallSite): WireFrame {
  const frame: WireFrame = {
    fn: functionName(site),
    file: site.getFileName() ?? site.getScriptNameOrSourceURL?.() ?? '<anonymous>',
    line: site.getLineNumber() ?? 0,
    col: site.getColumnNumber() ?? 0,
  };
  if (site.isAsync?.()) frame.async = true;
  if (site.isEval()) {
    const origin = site.getEvalOrigin();
    if (origin) frame.evalOrigin = origin;
  }
  return frame;
}

function functionName(site: CallSite): string {
  let name: string | null = null;
  let typeName: string | null = null;
  try {
    name = site.getFunctionName();
    typeName = site.isToplevel() ? null : site.getTypeName();
  } catch {
    // strict-mode frames may refuse introspection
  }
  if (site.isConstructor()) return `new ${name ?? typeName ?? '<anonymous>'}`;
  if (!name) {
    const method = safe(() => site.getMethodName());
    if (method && typeName) return `${typeName}.${method}`;
    return '<anonymous>';
  }
  if (typeName && typeName !== 'Object' && !name.includes('.')) return `${typeName}.${name}`;
  return name;
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}
