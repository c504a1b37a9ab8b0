/**
 * The parent's side of the transport: reads what every instrumented process wrote to the spool.
 *
 * Incremental: a `SpoolReader` remembers how far it read each log (a byte offset) and reads
 * only what was appended since, whole lines only (a line still being written waits for its
 * newline); the heartbeat file is read again only when it was replaced. Appended snapshots are
 * not all kept: each is folded into a small series point (`digest`, counts per group, for growth)
 * and only the newest and the exit snapshot stay whole, so leakprof's memory and the cost of a
 * look follow what changed, not how long the workload ran.
 */
import { closeSync, constants, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HeapSnapshotMessage, HelloMessage, SnapshotMessage, StacksMessage, WireFrame } from './messages.js';

/** One appended snapshot folded to what growth needs: when, and counts per group (the digest's keys). */
export interface SeriesPoint {
  seq: number;
  time: number;
  counts: Map<string, number>;
}

export interface ProcessSpool {
  pid: number;
  /** A worker thread's own files (`<pid>.t<threadId>.*`): Node's threadId. */
  threadId?: number;
  hello: HelloMessage | undefined;
  /** Appended snapshots still held whole: the newest, and the exit snapshot (a one-shot read keeps them all). */
  snapshots: SnapshotMessage[];
  /** Every appended snapshot as a series point, oldest first (when the reader was given a digest). */
  series?: SeriesPoint[];
  /**
   * For each group key of the series, the appended snapshot where its count was highest (kept whole for
   * it): a group that rose and was released by the end is described as it stood at its peak.
   */
  peaks?: Map<string, { count: number; snapshot: SnapshotMessage }>;
  /** The newest heartbeat, which may be newer than any appended snapshot. */
  latest: SnapshotMessage | undefined;
  /** Heap snapshots written at checkpoints (--heap), in the order taken. */
  heapSnapshots: HeapSnapshotMessage[];
  /** Records that could not be parsed, or were cut short (a process killed mid-write leaves at most one). */
  corruptLines: number;
}

type ChildLine = HelloMessage | SnapshotMessage | HeapSnapshotMessage | StacksMessage;

/** The biggest read taken at once: a log that grew by more is read in several steps. */
const CHUNK = 4 << 20;
const NEWLINE = 0x0a;
/** Growth series points kept per process: enough for a trend, bounded over a long run. */
const MAX_SERIES = 1024;

interface LogState {
  offset: number;
  /** The frames of every stack the process sent so far (each is sent once), shared by its snapshots. */
  stacks: Record<string, WireFrame[]>;
  /** What identified the heartbeat file read last (inode, size, mtime): a replaced file is read again. */
  latestStamp: string;
  /** A cut last record was counted already (the process ended mid-write). */
  tailCounted: boolean;
}

export interface ReadOptions {
  /** Also read the heartbeat files (a report needs them; a check for answers does not). Default true. */
  latest?: boolean;
  /** The writers are done: a last record without its newline was cut short, and is counted as corrupt. */
  final?: boolean;
}

export class SpoolReader {
  private readonly out = new Map<number, ProcessSpool>();
  /** Worker threads' entries, by their files' stem (`<pid>.t<threadId>`). */
  private readonly threadOut = new Map<string, ProcessSpool>();
  private readonly logs = new Map<string, LogState>();
  private readonly keys = new Map<string, string>();

  /** `digest` folds an appended snapshot into counts per group, for the growth series; without it every snapshot is kept whole. */
  constructor(
    private readonly spool: string,
    private readonly digest?: (snapshot: SnapshotMessage) => Map<string, number>,
  ) {}

  /** Reads what was written since the last call; returns every process seen so far (the same objects, updated). */
  read(options: ReadOptions = {}): Map<number, ProcessSpool> {
    let names: string[];
    try {
      names = readdirSync(this.spool);
    } catch {
      return this.out;
    }
    const logs: string[] = [];
    const latest: string[] = [];
    for (const name of names) {
      const match = /^(\d+(?:\.t\d+)?)\.(ndjson|latest\.json)$/.exec(name);
      if (!match) continue;
      (match[2] === 'ndjson' ? logs : latest).push(match[1]!);
    }
    // The heartbeat file before the log: the stacks a heartbeat points at were appended before it was written.
    if (options.latest !== false) for (const stem of latest) this.readLatest(stem);
    for (const stem of logs) this.readLog(stem, options.final === true);
    return this.out;
  }

  /** Every worker thread seen so far (read by read()), each its own entry. */
  threads(): ProcessSpool[] {
    return [...this.threadOut.values()];
  }

  private entry(stem: string): ProcessSpool {
    const thread = /^(\d+)\.t(\d+)$/.exec(stem);
    const pid = Number(thread ? thread[1] : stem);
    let entry = thread ? this.threadOut.get(stem) : this.out.get(pid);
    if (!entry) {
      entry = { pid, hello: undefined, snapshots: [], heapSnapshots: [], latest: undefined, corruptLines: 0 };
      if (thread) entry.threadId = Number(thread[2]);
      if (this.digest) entry.series = [];
      if (thread) this.threadOut.set(stem, entry);
      else this.out.set(pid, entry);
    }
    return entry;
  }

  private log(stem: string): LogState {
    let log = this.logs.get(stem);
    if (!log) {
      log = { offset: 0, stacks: {}, latestStamp: '', tailCounted: false };
      this.logs.set(stem, log);
    }
    return log;
  }

  private readLog(stem: string, final: boolean): void {
    const entry = this.entry(stem);
    const log = this.log(stem);
    let fd: number;
    try {
      fd = openSync(join(this.spool, `${stem}.ndjson`), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      while (log.offset < size) {
        const want = Math.min(CHUNK, size - log.offset);
        const buffer = Buffer.allocUnsafe(want);
        const got = readSync(fd, buffer, 0, want, log.offset);
        if (got <= 0) break;
        const end = buffer.lastIndexOf(NEWLINE, got - 1);
        if (end < 0) {
          // One record longer than a chunk: read on to its end, or leave it for later.
          if (got === want && log.offset + got < size && this.readLongRecord(fd, log, size, entry)) continue;
          break;
        }
        this.lines(buffer.subarray(0, end), entry, log);
        log.offset += end + 1;
      }
      if (final && log.offset < size && !log.tailCounted) {
        log.tailCounted = true;
        entry.corruptLines++;
      }
    } catch {
      // The folder went away under us: keep what was read.
    } finally {
      closeSync(fd);
    }
  }

  /** A record bigger than CHUNK: read until its newline; false when it is not whole yet. */
  private readLongRecord(fd: number, log: LogState, size: number, entry: ProcessSpool): boolean {
    const buffer = Buffer.allocUnsafe(size - log.offset);
    const got = readSync(fd, buffer, 0, buffer.length, log.offset);
    const end = buffer.lastIndexOf(NEWLINE, got - 1);
    if (end < 0) return false;
    this.lines(buffer.subarray(0, end), entry, log);
    log.offset += end + 1;
    return true;
  }

  private lines(bytes: Buffer, entry: ProcessSpool, log: LogState): void {
    let start = 0;
    while (start <= bytes.length) {
      let stop = bytes.indexOf(NEWLINE, start);
      if (stop < 0) stop = bytes.length;
      if (stop > start) this.record(bytes.toString('utf8', start, stop), entry, log);
      start = stop + 1;
    }
  }

  private record(line: string, entry: ProcessSpool, log: LogState): void {
    let message: ChildLine;
    try {
      message = JSON.parse(line) as ChildLine;
    } catch {
      entry.corruptLines++;
      return;
    }
    if (message === null || typeof message !== 'object') {
      entry.corruptLines++;
      return;
    }
    if (message.kind === 'hello') entry.hello = message;
    else if (message.kind === 'stacks') Object.assign(log.stacks, message.stacks);
    else if (message.kind === 'heap-snapshot') entry.heapSnapshots.push(message);
    else if (message.kind === 'snapshot') this.appended(withStacks(message, log.stacks), entry);
  }

  private appended(snapshot: SnapshotMessage, entry: ProcessSpool): void {
    if (!this.digest || !entry.series) {
      entry.snapshots.push(snapshot);
      return;
    }
    const counts = new Map<string, number>();
    const peaks = (entry.peaks ??= new Map());
    for (const [digested, count] of this.digest(snapshot)) {
      const key = this.intern(digested);
      counts.set(key, count);
      const peak = peaks.get(key);
      if (peak === undefined || count > peak.count) peaks.set(key, { count, snapshot });
    }
    entry.series.push({ seq: snapshot.seq, time: snapshot.time, counts });
    // Hours of --every: every other point goes (the first and the newest stay), so the series and what reads it stay bounded.
    if (entry.series.length > MAX_SERIES) entry.series = entry.series.filter((_, i, all) => i % 2 === 0 || i === all.length - 1);
    // Whole: the newest (a report's) and the exit snapshot (what "it said exit" reads); the rest live on as series points.
    let newest = snapshot;
    for (const s of entry.snapshots) if (s.seq > newest.seq) newest = s;
    const exit = snapshot.reason === 'exit' ? snapshot : entry.snapshots.find((s) => s.reason === 'exit');
    entry.snapshots = exit === undefined || exit === newest ? [newest] : [exit, newest];
  }

  /** One copy of each group key, however many points hold it (a key is a few hundred bytes; a long run has thousands of points). */
  private intern(key: string): string {
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    this.keys.set(key, key);
    return key;
  }

  private readLatest(stem: string): void {
    const path = join(this.spool, `${stem}.latest.json`);
    const log = this.log(stem);
    let stamp: string;
    try {
      const stat = statSync(path);
      stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return;
    }
    if (stamp === log.latestStamp) return;
    const text = safeRead(path);
    if (!text) return;
    log.latestStamp = stamp;
    const entry = this.entry(stem);
    try {
      entry.latest = withStacks(JSON.parse(text) as SnapshotMessage, log.stacks);
    } catch {
      entry.corruptLines++;
    }
  }
}

/** A snapshot's stacks: the ones it carries plus every one its process sent before (each stack is sent once). */
function withStacks(snapshot: SnapshotMessage, known: Record<string, WireFrame[]>): SnapshotMessage {
  if (snapshot.stacks && typeof snapshot.stacks === 'object') Object.assign(known, snapshot.stacks);
  snapshot.stacks = known;
  return snapshot;
}

/** Everything in the spool, read once, every appended snapshot kept whole. */
export function readSpool(spool: string): Map<number, ProcessSpool> {
  return new SpoolReader(spool).read({ final: true });
}

/** Every worker thread's files (`<pid>.t<threadId>.*`), read once, each thread its own entry. */
export function readThreadSpools(spool: string): ProcessSpool[] {
  const reader = new SpoolReader(spool);
  reader.read({ final: true });
  return reader.threads();
}

/** The snapshot a report should use: the final one if the process wrote it, else the newest of any kind. */
export function newestSnapshot(entry: ProcessSpool): SnapshotMessage | undefined {
  let best: SnapshotMessage | undefined;
  for (const snap of entry.snapshots) if (!best || snap.seq >= best.seq) best = snap;
  if (entry.latest && (!best || entry.latest.seq > best.seq)) best = entry.latest;
  return best;
}

function safeRead(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const got = readSync(fd, buffer, off, size - off, off);
      if (got <= 0) break;
      off += got;
    }
    return buffer.toString('utf8', 0, off);
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** The processes that said hello (each has its log file), from the folder's names alone: cheap enough to ask often. */
export function spoolPids(spool: string): number[] {
  let names: string[];
  try {
    names = readdirSync(spool);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    const match = /^(\d+)\.ndjson$/.exec(name);
    if (match) pids.push(Number(match[1]));
  }
  return pids;
}
