/** The parent's side of the transport: reads what every instrumented process wrote to the spool. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HeapSnapshotMessage, HelloMessage, SnapshotMessage } from './messages.js';

export interface ProcessSpool {
  pid: number;
  /** A worker thread's own files (`<pid>.t<threadId>.*`): Node's threadId. */
  threadId?: number;
  hello: HelloMessage | undefined;
  /** Every snapshot appended, oldest first. */
  snapshots: SnapshotMessage[];
  /** The newest heartbeat, which may be newer than any appended snapshot. */
  latest: SnapshotMessage | undefined;
  /** Heap snapshots written at checkpoints (--heap), in the order taken. */
  heapSnapshots: HeapSnapshotMessage[];
  /** Lines that could not be parsed (a process killed mid-write leaves at most one). */
  corruptLines: number;
}

/** Every process's files, by pid (worker threads' files are read by readThreadSpools). */
export function readSpool(spool: string): Map<number, ProcessSpool> {
  const out = new Map<number, ProcessSpool>();
  readFiles(spool, /^(\d+)\.(ndjson|latest\.json)$/, (match) => {
    const pid = Number(match[1]);
    let entry = out.get(pid);
    if (!entry) out.set(pid, (entry = emptySpool(pid)));
    return entry;
  });
  return out;
}

/** Every worker thread's files (`<pid>.t<threadId>.*`), each thread its own entry. */
export function readThreadSpools(spool: string): ProcessSpool[] {
  const out = new Map<string, ProcessSpool>();
  readFiles(spool, /^(\d+)\.t(\d+)\.(ndjson|latest\.json)$/, (match) => {
    const key = `${match[1]}.${match[2]}`;
    let entry = out.get(key);
    if (!entry) out.set(key, (entry = { ...emptySpool(Number(match[1])), threadId: Number(match[2]) }));
    return entry;
  });
  return [...out.values()];
}

function emptySpool(pid: number): ProcessSpool {
  return { pid, hello: undefined, snapshots: [], heapSnapshots: [], latest: undefined, corruptLines: 0 };
}

/** Reads the files whose names match `pattern` (its last group: `ndjson` or `latest.json`) into the entry `entryOf` gives. */
function readFiles(spool: string, pattern: RegExp, entryOf: (match: RegExpExecArray) => ProcessSpool): void {
  let names: string[];
  try {
    names = readdirSync(spool);
  } catch {
    return;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const entry = entryOf(match);
    const text = safeRead(join(spool, name));
    if (match[match.length - 1] === 'ndjson') {
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const message = JSON.parse(line) as HelloMessage | SnapshotMessage | HeapSnapshotMessage;
          if (message.kind === 'hello') entry.hello = message;
          else if (message.kind === 'snapshot') entry.snapshots.push(message);
          else if (message.kind === 'heap-snapshot') entry.heapSnapshots.push(message);
        } catch {
          entry.corruptLines++;
        }
      }
    } else if (text) {
      try {
        entry.latest = JSON.parse(text) as SnapshotMessage;
      } catch {
        entry.corruptLines++;
      }
    }
  }
}

/** The snapshot a report should use: the final one if the process wrote it, else the newest of any kind. */
export function newestSnapshot(entry: ProcessSpool): SnapshotMessage | undefined {
  let best: SnapshotMessage | undefined;
  for (const snap of entry.snapshots) if (!best || snap.seq >= best.seq) best = snap;
  if (entry.latest && (!best || entry.latest.seq > best.seq)) best = entry.latest;
  return best;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
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
