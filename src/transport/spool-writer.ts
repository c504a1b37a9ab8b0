/**
 * The child's side of the transport: synchronous appends and an atomic heartbeat file.
 * Synchronous on purpose: it must work inside `process.on('exit')` and from a signal
 * handler, and it creates no async resource that could show in the child's own report.
 */
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildMessage, SnapshotMessage } from './messages.js';

export class SpoolWriter {
  private readonly logPath: string;
  private readonly latestPath: string;
  private readonly tmpPath: string;
  private broken = false;

  constructor(spool: string, pid: number) {
    mkdirSync(spool, { recursive: true });
    this.logPath = join(spool, `${pid}.ndjson`);
    this.latestPath = join(spool, `${pid}.latest.json`);
    this.tmpPath = join(spool, `${pid}.latest.tmp`);
  }

  append(message: ChildMessage): void {
    this.guard(() => appendFileSync(this.logPath, `${JSON.stringify(message)}\n`));
  }

  /** Replaces the heartbeat snapshot atomically (write, then rename). */
  writeLatest(message: SnapshotMessage): void {
    this.guard(() => {
      writeFileSync(this.tmpPath, JSON.stringify(message));
      renameSync(this.tmpPath, this.latestPath);
    });
  }

  private guard(write: () => void): void {
    if (this.broken) return;
    try {
      write();
    } catch {
      // The spool vanished (parent gone, disk full): stop writing rather than disturb the workload.
      this.broken = true;
    }
  }
}
