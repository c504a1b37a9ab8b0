/**
 * Creation stacks, captured cheaply and interned: V8 hands us structured call sites
 * (no string formatting), we key them by file:line:col, and identical stacks share one
 * id. A million resources from one line cost one stored stack.
 */
import type { WireFrame } from '../transport/messages.js';
import { isUserFile } from './frame-owner.js';
import type { StackBoundary } from './resource-source.js';

/** How deep the second look goes for a stack whose first `depth` frames are all Node's or a library's. */
const DEEP_LIMIT = 64;

/**
 * A stack taken but not read yet: V8 keeps the raw frames on it and runs the formatting
 * (our intern step) only when `.stack` is first read. Taking one costs about half as much
 * as taking and interning; most resources die before anyone asks, so most are never read.
 * Opaque to callers: hand it back to `resolve`.
 */
export interface RawStack {
  readonly [rawStack]: true;
}
declare const rawStack: unique symbol;

/** Whatever V8 accepts as the capture boundary: the frames above its topmost call (and it) are cut. */
export type CaptureBoundary = StackBoundary | Function;

type CallSite = NodeJS.CallSite & { isAsync?(): boolean; getScriptNameOrSourceURL?(): string | null };

export class StackTable {
  private readonly ids = new Map<string, number>();
  readonly frames: WireFrame[][] = [];
  readonly hasUserFrame: boolean[] = [];
  /** The function the top frame runs in (file and where the function starts), or '' for a builtin: ties an await to its async function. */
  readonly topFunction: string[] = [];
  private readonly prepare: (error: Error, sites: CallSite[]) => number;
  private readonly prepareToUser: (error: Error, sites: CallSite[]) => number;
  /** Top frames of this file are dropped from the capture under way (a dispatcher between V8 and the boundary, there or not). */
  private skipFile: string | undefined;
  /** This many top frames are dropped from the stack being resolved (a user profile's `add(item, { skip })`, Go's skip). */
  private skipFrames = 0;
  private readonly tails = new Map<number, number>();

  constructor(readonly depth: number) {
    this.prepare = (_error, sites) => this.intern(this.cut(sites));
    this.prepareToUser = (_error, all) => {
      const sites = this.cut(all);
      const user = sites.findIndex((site) => isUserFile(site.getFileName() ?? (site.isEval() ? '<anonymous>' : 'node:')));
      return this.intern(user < 0 ? sites : sites.slice(0, Math.max(this.depth, user + 1)));
    };
  }

  /**
   * Captures the current stack, cut at `boundary`, and returns its interned id. A stack
   * that fills `depth` with library and Node frames only (a socket opened deep inside an
   * HTTP client) is taken again, deeper, and kept down to its first user frame: that
   * frame is the one a report needs.
   */
  capture(boundary: StackBoundary, skipFile?: string): number {
    this.skipFile = skipFile;
    const extra = skipFile === undefined ? 0 : 1;
    const id = this.take(boundary, this.depth + extra, false);
    if (id < 0 || this.hasUserFrame[id] || this.frames[id]!.length < this.depth) return id;
    const deep = this.take(boundary, Math.max(this.depth, DEEP_LIMIT) + extra, true);
    return deep >= 0 && this.hasUserFrame[deep] ? deep : id;
  }

  /** The stack without its top frame (interned like any other): an async function's promise stack minus the function itself is where it was called. */
  tailOf(id: number): number {
    let tail = this.tails.get(id);
    if (tail === undefined) {
      tail = this.add((this.frames[id] ?? []).slice(1), '');
      this.tails.set(id, tail);
    }
    return tail;
  }

  private cut(sites: CallSite[]): CallSite[] {
    if (this.skipFrames > 0) sites = sites.slice(this.skipFrames);
    if (this.skipFile === undefined) return sites;
    let i = 0;
    while (i < sites.length && sites[i]!.getFileName() === this.skipFile) i++;
    return i === 0 ? sites : sites.slice(i);
  }

  /**
   * Takes the current stack, cut at `boundary`, without interning it: call `resolve`
   * later, only for the stacks that turn out to be needed. The boundary must be on the
   * current stack (V8 keeps no frame at all otherwise): pass the function that emitted
   * the event, or a resource's own constructor when it is known to run it (a Timeout),
   * which also drops the runtime's frames between the two. There is no second, deeper
   * look here as in `capture`: if the first `depth` frames hold no user frame, the
   * resolved stack has none (and a caller may fall back on "created by"). `limit` caps the
   * frames kept (the table's depth by default).
   */
  captureLazy(boundary: CaptureBoundary, limit = this.depth): RawStack | undefined {
    const savedLimit = Error.stackTraceLimit;
    if (savedLimit !== limit) Error.stackTraceLimit = limit;
    const holder = {};
    try {
      Error.captureStackTrace(holder, boundary);
      return holder as RawStack;
    } catch {
      return undefined;
    } finally {
      if (savedLimit !== limit) Error.stackTraceLimit = savedLimit;
    }
  }

  /** The interned id of a stack from `captureLazy` (the same id `capture` gives the same frames), or -1. Reading it again is free: V8 keeps the first result. */
  resolve(raw: RawStack, skipFile?: string, skipFrames = 0): number {
    const ErrorCtor = Error as ErrorConstructor & { prepareStackTrace?: unknown };
    const savedPrepare = ErrorCtor.prepareStackTrace;
    ErrorCtor.prepareStackTrace = this.prepare;
    this.skipFile = skipFile;
    this.skipFrames = skipFrames;
    try {
      const id = (raw as { stack?: unknown }).stack;
      return typeof id === 'number' ? id : -1;
    } catch {
      return -1;
    } finally {
      ErrorCtor.prepareStackTrace = savedPrepare;
      this.skipFrames = 0;
    }
  }

  private take(boundary: StackBoundary, limit: number, toUser: boolean): number {
    const ErrorCtor = Error as ErrorConstructor & { prepareStackTrace?: unknown };
    const savedPrepare = ErrorCtor.prepareStackTrace;
    const savedLimit = Error.stackTraceLimit;
    ErrorCtor.prepareStackTrace = toUser ? this.prepareToUser : this.prepare;
    Error.stackTraceLimit = limit;
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

  /** Interns frames that did not come from a capture (the heap profiler's call tree), keyed as captured ones are. */
  internFrames(frames: WireFrame[]): number {
    let key = '';
    for (const f of frames) key += `${f.file}:${f.line}:${f.col}${f.async ? 'a' : ''}|`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.add(frames, '');
      this.ids.set(key, id);
    }
    return id;
  }

  /** A new stack id for these frames. */
  private add(frames: WireFrame[], topFunction: string): number {
    this.frames.push(frames);
    this.hasUserFrame.push(frames.some((f) => isUserFile(f.file)));
    this.topFunction.push(topFunction);
    return this.frames.length - 1;
  }

  private intern(sites: CallSite[]): number {
    let key = '';
    for (const site of sites) {
      key += `${site.getFileName() ?? site.getEvalOrigin() ?? '?'}:${site.getLineNumber()}:${site.getColumnNumber()}${site.isAsync?.() ? 'a' : ''}|`;
    }
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.add(sites.map(toFrame), enclosingFunction(sites[0]));
      this.ids.set(key, id);
    }
    return id;
  }
}

type EnclosingSite = CallSite & { getEnclosingLineNumber?(): number | null; getEnclosingColumnNumber?(): number | null };

function enclosingFunction(site: EnclosingSite | undefined): string {
  const file = site?.getFileName();
  if (!site || !file) return '';
  return `${file}:${site.getEnclosingLineNumber?.() ?? 0}:${site.getEnclosingColumnNumber?.() ?? 0}`;
}

function toFrame(site: CallSite): WireFrame {
  const frame: WireFrame = {
    fn: functionName(site),
    // V8 builtins (`new Promise`, `Array.prototype.map`) have no script: they are the runtime's, never the user's.
    // Eval'd code has none either but is the user's: it keeps `<anonymous>` and its eval origin.
    file: site.getFileName() ?? site.getScriptNameOrSourceURL?.() ?? (site.isEval() ? '<anonymous>' : 'node:<builtin>'),
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
