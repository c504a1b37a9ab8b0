/**
 * The `fds` profile: file descriptors the workload opened through node:fs and has not closed,
 * grouped by the stack that opened them. A descriptor holds no handle and keeps no event loop
 * alive, so async_hooks never sees one: a read stream dropped on a 304 path leaks an fd per
 * request and nothing else shows it.
 *
 * Self-contained, one profile source (table, patches, sampling, /proc cross-check) in one module,
 * as the other profiles are, so it ports to a profile declaration as a unit. What is tracked:
 * - `fs.open` / `fs.openSync`: the fd until `fs.close` / `fs.closeSync` of that number;
 * - `fs.createReadStream` / `createWriteStream`: the stream's fd, with the stack of the call that
 *   made the stream (its open runs a tick later, on Node's stack), until the stream closes it;
 * - `fs.promises.open`: the FileHandle until `close()` (its fd turns -1) or until it is garbage
 *   collected (Node then closes it, with a warning), held by a WeakRef.
 * Steady cost follows opens and closes: one lazy stack (unread until a snapshot wants it) and a
 * map entry per open, a map delete per close. On Linux a snapshot reads /proc/self/fd once:
 * a tracked number that is no longer open (closed by a way we do not see) is dropped, and the
 * count of what is open but not attributed goes into the message.
 */
import fs from 'node:fs';
import { readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type { SnapshotMessage, StackMode, WireProfileDescriptor } from '../transport/messages.js';
import { StackBudget } from './stack-budget.js';
import { isOwnActivity } from './own-activity.js';
import { SampleGroups, type SampleHead } from './sample-groups.js';
import type { ProfileSource } from './snapshot.js';
import type { RawStack, StackTable } from './stack-table.js';
import { currentTest, testName } from './test-context.js';
import { rawGroupKey } from '../transport/group-identity.js';

/** How the descriptor was opened: the group's type, and what the report's hint says to close. */
export type FdKind = 'fd' | 'ReadStream' | 'WriteStream' | 'FileHandle';

interface FdMark {
  kind: FdKind;
  raw: RawStack | undefined;
  stack: number;
  createdAt: number;
  path: string;
  test: number;
}

type Callback = (error: NodeJS.ErrnoException | null, fd?: number) => void;
type AnyFn = (...args: unknown[]) => unknown;
interface FileHandleLike {
  readonly fd: number;
}
interface StreamLike {
  fd?: unknown;
  closed?: boolean;
  destroyed?: boolean;
}

/** Open file descriptors by the stack that opened them: they hold no handle (nothing keeps the process alive), but each is a descriptor the process holds until it is closed. */
export const FDS_PROFILE: WireProfileDescriptor = {
  name: 'fds',
  item: 'file descriptor',
  sampleTypes: [{ type: 'fds', unit: 'count', of: 'count' }],
  holdsProcess: false,
  check: { flag: 'max-fds', limit: 0 },
};

export class FdTable implements ProfileSource {
  readonly descriptor = FDS_PROFILE;
  readonly omitWhenEmpty = true;
  /** Raw descriptors (fs.open/openSync, and streams' opens) by number. */
  private readonly open = new Map<number, FdMark>();
  private readonly handles = new Set<{ ref: WeakRef<FileHandleLike>; mark: FdMark }>();
  private stops: (() => void)[] = [];
  /** Node's own fs.open, for streams whose fs is the module object (it is patched by then). */
  private openUnpatched: AnyFn | undefined;
  changes = 0;

  private readonly budget: StackBudget;

  /**
   * A stack costs 5–50 µs, ten times an open: in `auto` mode a token bucket of `stackBudget` a
   * second decides which opens get one, as for the other busy kinds (a program opening and closing
   * 100k files a second keeps a sample of stacks; 400 leaked streams over 400 requests all get one).
   */
  constructor(
    private readonly stacks: StackTable,
    private readonly stackMode: StackMode = 'all',
    stackBudget = 2000,
  ) {
    this.budget = new StackBudget(stackBudget);
  }

  /** Patches node:fs (the module object, and ESM named exports through syncBuiltinESMExports). */
  start(): void {
    const table = this;
    const mutable = fs as unknown as Record<string, AnyFn>;
    const promises = fs.promises as unknown as Record<string, AnyFn>;
    const saved = {
      open: mutable.open!,
      openSync: mutable.openSync!,
      close: mutable.close!,
      closeSync: mutable.closeSync!,
      createReadStream: mutable.createReadStream!,
      createWriteStream: mutable.createWriteStream!,
      promisesOpen: promises.open!,
    };

    this.openUnpatched = saved.open;

    function openSync(this: unknown, ...args: unknown[]): unknown {
      const fd = saved.openSync.apply(this, args);
      if (typeof fd === 'number') table.opened(fd, 'fd', args[0], openSync);
      return fd;
    }
    function open(this: unknown, ...args: unknown[]): unknown {
      const cb = args[args.length - 1];
      if (typeof cb !== 'function' || isOwnActivity()) return saved.open.apply(this, args);
      const mark = table.mark('fd', args[0], open);
      args[args.length - 1] = function (this: unknown, error: NodeJS.ErrnoException | null, fd?: number) {
        if (!error && typeof fd === 'number') table.track(fd, mark);
        return (cb as Callback).call(this, error, fd);
      };
      return saved.open.apply(this, args);
    }
    function closeSync(this: unknown, ...args: unknown[]): unknown {
      table.closed(args[0]);
      return saved.closeSync.apply(this, args);
    }
    function close(this: unknown, ...args: unknown[]): unknown {
      table.closed(args[0]);
      return saved.close.apply(this, args);
    }
    const streamMaker = (kind: 'ReadStream' | 'WriteStream', original: AnyFn): AnyFn =>
      function createStream(this: unknown, ...args: unknown[]): unknown {
        const stream = original.apply(this, args) as StreamLike & Record<symbol, unknown>;
        if (isOwnActivity() || typeof stream?.fd === 'number') return stream;
        table.adoptStream(stream, kind, args[0], createStream);
        return stream;
      };
    const createReadStream = streamMaker('ReadStream', saved.createReadStream);
    const createWriteStream = streamMaker('WriteStream', saved.createWriteStream);
    function promisesOpen(this: unknown, ...args: unknown[]): unknown {
      if (isOwnActivity()) return saved.promisesOpen.apply(this, args);
      const mark = table.mark('FileHandle', args[0], promisesOpen);
      return (saved.promisesOpen.apply(this, args) as Promise<FileHandleLike>).then((handle) => {
        table.handles.add({ ref: new WeakRef(handle), mark });
        table.changes++;
        return handle;
      });
    }

    Object.assign(mutable, { open, openSync, close, closeSync, createReadStream, createWriteStream });
    promises.open = promisesOpen;
    syncBuiltinESMExports();
    this.stops.push(() => {
      Object.assign(mutable, { open: saved.open, openSync: saved.openSync, close: saved.close, closeSync: saved.closeSync, createReadStream: saved.createReadStream, createWriteStream: saved.createWriteStream });
      promises.open = saved.promisesOpen;
      syncBuiltinESMExports();
    });
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private mark(kind: FdKind, path: unknown, boundary: AnyFn): FdMark {
    const stacked = this.stackMode === 'all' || (this.stackMode === 'auto' && this.budget.take());
    const raw = stacked ? this.stacks.captureLazy(boundary) : undefined;
    return { kind, raw, stack: raw === undefined ? -1 : -2, createdAt: performance.now(), path: pathText(path), test: currentTest() };
  }

  private opened(fd: number, kind: FdKind, path: unknown, boundary: AnyFn): void {
    if (isOwnActivity()) return;
    this.track(fd, this.mark(kind, path, boundary));
  }

  private track(fd: number, mark: FdMark): void {
    this.open.set(fd, mark);
    this.changes++;
  }

  private closed(fd: unknown): void {
    if (typeof fd === 'number' && this.open.delete(fd)) this.changes++;
  }

  /**
   * A stream opens its file a tick after it is made, on Node's stack: its own `fs` (Node's
   * per-stream kFs slot, the `fs` option) is swapped for one whose open records the fd under
   * the stack of the call that made the stream.
   */
  private adoptStream(stream: StreamLike & Record<symbol, unknown>, kind: 'ReadStream' | 'WriteStream', path: unknown, boundary: AnyFn): void {
    const slot = Object.getOwnPropertySymbols(stream).find((s) => s.description === 'kFs');
    const streamFs = slot === undefined ? undefined : (stream[slot] as Record<string, AnyFn> | undefined);
    if (slot === undefined || streamFs === undefined || typeof streamFs.open !== 'function') return;
    const mark = this.mark(kind, path, boundary);
    const table = this;
    const unwrapped = streamFs === (fs as unknown) && this.openUnpatched ? this.openUnpatched : streamFs.open;
    stream[slot] = Object.create(streamFs, {
      open: {
        value(this: unknown, ...args: unknown[]) {
          const cb = args[args.length - 1] as Callback;
          args[args.length - 1] = (error: NodeJS.ErrnoException | null, fd?: number) => {
            if (!error && typeof fd === 'number') table.track(fd, mark);
            cb(error, fd);
          };
          return unwrapped.apply(streamFs, args);
        },
      },
    });
  }

  sample(now: number, maxEntries: number): SampleGroups {
    const groups = new SampleGroups(maxEntries);
    const openNow = procFds();
    let id = 0;
    const add = (mark: FdMark, fd: number): void => {
      if (mark.stack === -2) mark.stack = mark.raw === undefined ? -1 : this.stacks.resolve(mark.raw);
      mark.raw = undefined;
      groups.add(
        rawGroupKey(mark.kind, 'open', mark.stack, -1, mark.test),
        () => {
          const head: SampleHead = { type: mark.kind, label: mark.kind, state: 'open', stack: mark.stack, createdBy: -1, createdByAsync: -1 };
          const name = testName(mark.test);
          if (name !== undefined) head.test = name;
          return head;
        },
        { id: ++id, ageMs: Math.max(0, Math.round(now - mark.createdAt)), trigger: 0, details: { fd, path: mark.path } },
      );
    };
    for (const [fd, mark] of this.open) {
      // Closed by a way we do not see (a library's own binding call): the OS says it is gone.
      if (openNow !== undefined && !openNow.has(fd)) {
        this.open.delete(fd);
        continue;
      }
      add(mark, fd);
    }
    for (const entry of this.handles) {
      const handle = entry.ref.deref();
      if (handle === undefined || handle.fd < 0) {
        this.handles.delete(entry);
        continue;
      }
      add(entry.mark, handle.fd);
    }
    this.lastCount = groups.profile(this.descriptor).total;
    // Less the one readdir had open on the folder while it listed it.
    this.lastProc = openNow === undefined ? undefined : openNow.size - 1;
    return groups;
  }

  private lastCount = 0;
  private lastProc: number | undefined;

  /** The cross-check: how many descriptors the process has open (/proc/self/fd) beside how many this profile attributes. */
  annotate(message: SnapshotMessage): void {
    const fds: NonNullable<SnapshotMessage['fdCounts']> = { tracked: this.lastCount };
    // A worker thread shares the process's descriptors: the process's count is its main thread's to say.
    if (this.lastProc !== undefined && isMainThread) fds.open = this.lastProc;
    message.fdCounts = fds;
  }
}

/** The open fds (Linux: /proc/self/fd, less the one readdir itself opens), or undefined elsewhere. */
function procFds(): Set<number> | undefined {
  try {
    const names = readdirSync('/proc/self/fd');
    const out = new Set<number>();
    for (const name of names) out.add(Number(name));
    return out;
  } catch {
    return undefined;
  }
}

function pathText(path: unknown): string {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return path.protocol === 'file:' ? decodeURIComponent(path.pathname) : path.href;
  if (Buffer.isBuffer(path)) return path.toString();
  if (typeof path === 'number') return `fd ${path}`;
  return '?';
}
