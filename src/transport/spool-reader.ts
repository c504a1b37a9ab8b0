/** The parent's side of the transport: reads what every instrumented process wrote to the spool. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HeapSnapshotMessage, HelloMessage, SnapshotMessage } from './messages.js';

export interface ProcessSpool {
  pid: number;
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

export function readSpool(spool: string): Map<number, ProcessSpool> {
  const out = new Map<number, ProcessSpool>();
  let names: string[];
  try {
    names = readdirSync(spool);
  } catch {
    return out;
  }
  const get = (pid: number): ProcessSpool => {
    let entry = out.get(pid);
    if (!entry) {
      entry = { pid, hello: undefined, snapshots: [], heapSnapshots: [], latest: undefined, corruptLines: 0 };
      out.set(pid, entry);
    }
    return entry;
  };
  for (const name of names) {
    const match = /^(\d+)\.(ndjson|latest\.json)$/.exec(name);
    if (!match) continue;
    const entry = get(Number(match[1]));
    const text = safeRead(join(spool, name));
    if (match[2] === 'ndjson') {
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
  return out;
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
