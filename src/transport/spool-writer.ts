/**
 * The child's side of the transport: synchronous appends and an atomic heartbeat file.
 * Synchronous on purpose: it must work inside `process.on('exit')` and from a timer while
 * the process ends, and it creates no async resource that could show in the child's own report.
 *
 * The spool is a 0700 folder leakprof made; the child never makes it. A process that
 * outlives leakprof (a detached grandchild) finds it gone and stops writing, and a folder
 * that is not leakprof's own (a symlink, another owner, open to others) is refused. Files
 * are opened with O_NOFOLLOW, created with O_EXCL: a symlink planted in the folder is never
 * written through.
 */
import { closeSync, constants, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WIRE_VERSION, type ChildMessage, type SnapshotMessage, type WireFrame } from './messages.js';

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

export class SpoolWriter {
  private readonly logPath: string;
  private readonly latestPath: string;
  private readonly tmpPath: string;
  private created = false;
  private broken: boolean;
  /** Stack ids already on the log: each stack is sent once. */
  private readonly sentStacks = new Set<string>();

  /** `threadId`: a worker thread's collector writes files of its own, `<pid>.t<threadId>.*`. */
  constructor(spool: string, pid: number, threadId?: number) {
    this.broken = !isOwnSpool(spool);
    const name = threadId === undefined ? String(pid) : `${pid}.t${threadId}`;
    this.logPath = join(spool, `${name}.ndjson`);
    this.latestPath = join(spool, `${name}.latest.json`);
    this.tmpPath = join(spool, `${name}.latest.tmp`);
  }

  /** False when the spool was refused or is gone: nothing this process writes will be read. */
  get usable(): boolean {
    return !this.broken;
  }

  /** Appends a message; a snapshot goes without the stacks sent before (its new ones go first, in a stacks message). */
  append(message: ChildMessage): void {
    if (message.kind === 'snapshot') message = this.withNewStacks(message);
    this.appendLine(message);
  }

  private appendLine(message: ChildMessage): void {
    this.guard(() => {
      // The first write creates the file (and fails on anything already there); later ones never create it again.
      const flags = O_WRONLY | O_APPEND | O_NOFOLLOW | (this.created ? 0 : O_CREAT | O_EXCL);
      writeWhole(this.logPath, flags, `${JSON.stringify(message)}\n`);
      this.created = true;
    });
  }

  /** Replaces the heartbeat snapshot atomically (write, then rename). */
  writeLatest(message: SnapshotMessage): void {
    const slim = this.withNewStacks(message);
    this.guard(() => {
      const text = JSON.stringify(slim);
      const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
      try {
        writeWhole(this.tmpPath, flags, text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Ours, left by a write this process did not finish; unlink removes a link, never its target.
        unlinkSync(this.tmpPath);
        writeWhole(this.tmpPath, flags, text);
      }
      renameSync(this.tmpPath, this.latestPath);
    });
  }

  /** The snapshot to write, its stacks cut to those not sent yet; those are appended to the log now, before it. */
  private withNewStacks(message: SnapshotMessage): SnapshotMessage {
    const all = message.stacks;
    if (all === undefined || this.broken) return message;
    const fresh: Record<string, WireFrame[]> = {};
    let any = false;
    for (const id of Object.keys(all)) {
      if (this.sentStacks.has(id)) continue;
      fresh[id] = all[id]!;
      any = true;
    }
    if (any) {
      this.appendLine({ kind: 'stacks', v: WIRE_VERSION, pid: message.pid, stacks: fresh });
      // Only once it is on the log: a failed write sends them again with the next snapshot.
      if (!this.broken) for (const id of Object.keys(fresh)) this.sentStacks.add(id);
    }
    return { ...message, stacks: {} };
  }

  private guard(write: () => void): void {
    if (this.broken) return;
    try {
      write();
    } catch {
      // The spool vanished (parent gone, disk full) or holds what we did not make: stop writing rather than disturb the workload.
      this.broken = true;
    }
  }
}

/** A real folder (not a symlink) of this user's, closed to everyone else: what mkdtemp made for leakprof. */
export function isOwnSpool(spool: string): boolean {
  try {
    const stat = lstatSync(spool);
    if (!stat.isDirectory()) return false;
    if ((stat.mode & 0o077) !== 0) return false;
    return typeof process.getuid !== 'function' || stat.uid === process.getuid();
  } catch {
    return false;
  }
}

function writeWhole(path: string, flags: number, text: string): void {
  const fd = openSync(path, flags, 0o600);
  try {
    const bytes = Buffer.from(text);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
}
