/**
 * How leakprof asks a running process for a snapshot: one line appended to `<spool>/requests`
 * per request, which every collector polls from its heartbeat timer with a stat (no signal,
 * no file descriptor kept, nothing the workload can see or share). The workload's signals
 * stay its own: a SIGUSR2 handler of its own, `--heapsnapshot-signal=SIGUSR2`, or a SIGUSR2
 * it sends itself behave as they would without leakprof.
 *
 * A line is `request` (a snapshot, the process goes on) or `final <why>` (the process is
 * about to be ended: a signal leakprof is forwarding, or --timeout; its last heap snapshot too).
 */
import { closeSync, constants, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'requests';

/** How often a collector looks for a request (its heartbeat runs on the same timer, every heartbeatMs). */
export const REQUEST_POLL_MS = 200;

export interface SnapshotRequest {
  /** Which request this is: the number of lines sent so far. */
  number: number;
  /** Set for a last request before the process is ended: the signal name or `timeout`. */
  final?: string;
}

/** The parent's side. */
export class RequestSender {
  private sent = 0;

  constructor(private readonly spool: string) {}

  send(final?: string): number {
    const fd = openSync(join(this.spool, FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, final ? `final ${final}\n` : 'request\n');
    } finally {
      closeSync(fd);
    }
    return ++this.sent;
  }
}

/** The child's side: a stat per poll; the file is read only when it grew. */
export class RequestWatcher {
  private readonly path: string;
  private seenBytes = 0;
  private seen = 0;

  constructor(spool: string) {
    this.path = join(spool, FILE);
  }

  /** The newest request since the last poll (several at once are answered once), or undefined. */
  poll(): SnapshotRequest | undefined {
    let size: number;
    try {
      size = statSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      return undefined;
    }
    if (size <= this.seenBytes) return undefined;
    const text = readFrom(this.path, this.seenBytes, size - this.seenBytes);
    // Whole lines only: a line the parent is still writing is read at the next poll.
    const whole = text.slice(0, text.lastIndexOf('\n') + 1);
    const lines = whole.split('\n').filter((line) => line !== '');
    if (lines.length === 0) return undefined;
    this.seenBytes += whole.length;
    this.seen += lines.length;
    const final = lines.find((line) => line.startsWith('final '));
    return final ? { number: this.seen, final: final.slice('final '.length) } : { number: this.seen };
  }
}

function readFrom(path: string, position: number, length: number): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return '';
  }
  try {
    const buffer = Buffer.alloc(Math.min(length, 64 * 1024));
    const n = readSync(fd, buffer, 0, buffer.length, position);
    return buffer.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}
