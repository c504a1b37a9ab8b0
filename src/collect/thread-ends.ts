/**
 * A worker thread gets no 'exit' event when it is terminated, and no signal: its last state
 * would be its last heartbeat. So `worker.terminate()` asks the thread for a last snapshot
 * first, over a BroadcastChannel of leakprof's own, and terminates it once the thread said it
 * wrote one (or after ASK_BOUND_MS, for a thread too busy to answer). Test runners' thread pools
 * (vitest's threads and vmThreads, through tinypool) end their workers so once the tests ran,
 * as they end forked workers with SIGTERM.
 */
import { BroadcastChannel, Worker, isMainThread, threadId } from 'node:worker_threads';
import { threadScheds } from '../util/proc-stat.js';
import { asOwn } from './own-activity.js';

const CHANNEL = 'leakprof.thread-ends';
/**
 * How long terminate() waits for a thread's answer: ASK_BOUND_MS of the time this process's
 * threads were not kept waiting for a core. A thread that has not answered in that time on a
 * machine that let it run is busy or blocked (a loop, Atomics.wait): it is terminated as Node
 * would, with its last heartbeat. On a starved machine the wait stretches by the run-queue wait
 * (Linux's schedstat), up to ASK_CAP_MS: a starved thread answers late, and a test thread's
 * leak must not go unjudged because the machine was busy (seen: 2 runs in 3 under load).
 */
const ASK_BOUND_MS = 1000;
const ASK_CAP_MS = 30_000;
const ASK_POLL_MS = 100;

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
        const started = performance.now();
        const since = coreWaits();
        let timer: NodeJS.Timeout | undefined;
        const finish = (): void => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve();
        };
        const poll = (): void => {
          const elapsed = performance.now() - started;
          if (elapsed - longestCoreWaitSince(since) >= ASK_BOUND_MS || elapsed >= ASK_CAP_MS) return finish();
          timer = asOwn(() => setTimeout(poll, ASK_POLL_MS));
          timer.unref();
        };
        waiting.set(id, finish);
        channel.postMessage({ ask: id } satisfies Ask);
        timer = setTimeout(poll, ASK_POLL_MS);
        timer.unref();
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

/** Each thread of this process: how long it has waited, runnable, for a core (ms); undefined off Linux. */
function coreWaits(): Map<string, number> | undefined {
  const scheds = threadScheds(process.pid);
  return scheds && new Map([...scheds].map(([tid, s]) => [tid, s.waitedMs]));
}

/** The longest any thread of this process waited for a core since `since` (0 where /proc does not say). */
function longestCoreWaitSince(since: Map<string, number> | undefined): number {
  if (!since) return 0;
  let longest = 0;
  for (const [tid, waited] of coreWaits() ?? []) {
    const before = since.get(tid);
    if (before !== undefined) longest = Math.max(longest, waited - before);
  }
  return longest;
}
