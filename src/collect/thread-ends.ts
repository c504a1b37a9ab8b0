/**
 * A worker thread gets no 'exit' event when it is terminated, and no signal: its last state
 * would be its last heartbeat. So `worker.terminate()` asks the thread for a last snapshot
 * first, over a BroadcastChannel of leakprof's own, and terminates it once the thread said it
 * wrote one (or after ASK_BOUND_MS, for a thread too busy to answer). Test runners' thread pools
 * (vitest's threads and vmThreads, through tinypool) end their workers so once the tests ran,
 * as they end forked workers with SIGTERM.
 */
import { BroadcastChannel, Worker, isMainThread, threadId } from 'node:worker_threads';
import { asOwn } from './own-activity.js';

const CHANNEL = 'leakprof.thread-ends';
/** How long terminate() waits for a thread's answer: a bound, not a measure (a starved thread answers late, a blocked one never). */
const ASK_BOUND_MS = 1000;

interface Ask {
  ask: number;
}
interface Done {
  done: number;
}
/** A thread whose collector listens: only those are asked (an eval'd worker runs no preload, nor one whose env left leakprof out). */
interface Up {
  up: number;
}

/** In a worker thread: answers its parent's ask with `write` (the last snapshot), then says so. */
export function answerThreadEnd(write: () => void): void {
  if (isMainThread) return;
  asOwn(() => {
    const channel = new BroadcastChannel(CHANNEL);
    channel.unref();
    channel.onmessage = (event: unknown) => {
      const data = (event as { data?: Ask }).data;
      if (data?.ask !== threadId) return;
      write();
      channel.postMessage({ done: threadId } satisfies Done);
    };
    channel.postMessage({ up: threadId } satisfies Up);
  });
}

/** In any thread that may make workers: terminate() asks the thread for its last snapshot first. */
export function askBeforeTerminate(): void {
  const proto = Worker.prototype as unknown as { terminate: (this: Worker, ...args: unknown[]) => Promise<number> };
  const original = proto.terminate;
  const waiting = new Map<number, () => void>();
  const listening = new Set<number>();
  const channel = asOwn(() => {
    const c = new BroadcastChannel(CHANNEL);
    c.unref();
    c.onmessage = (event: unknown) => {
      const data = (event as { data?: Partial<Done & Up> }).data;
      if (typeof data?.up === 'number') listening.add(data.up);
      if (typeof data?.done === 'number') waiting.get(data.done)?.();
    };
    return c;
  });
  const ask = (id: number): Promise<void> =>
    new Promise((resolve) => {
      asOwn(() => {
        const timer = setTimeout(() => finish(), ASK_BOUND_MS);
        timer.unref();
        const finish = (): void => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve();
        };
        waiting.set(id, finish);
        channel.postMessage({ ask: id } satisfies Ask);
      });
    });
  proto.terminate = function terminate(this: Worker, ...args: unknown[]): Promise<number> {
    const id = this.threadId;
    // Already ended (threadId -1), or asked already: as Node would.
    if (typeof id !== 'number' || id < 0 || waiting.has(id) || !listening.has(id)) return original.apply(this, args);
    listening.delete(id);
    return ask(id).then(() => original.apply(this, args));
  };
}
