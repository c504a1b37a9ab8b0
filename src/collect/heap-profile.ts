/**
 * The heap profile (`--heap`): what is live on the heap, by the stack that allocated it,
 * from V8's sampling heap profiler — pprof's inuse_space / inuse_objects. V8 samples about
 * one allocation per `interval` bytes and keeps a sample only while its object lives, so
 * the cost is small and a snapshot of the profile is the live heap, estimated.
 *
 * It runs through an in-process inspector session: its calls answer synchronously, so
 * the profile can be read in an 'exit' handler like every other snapshot.
 */
import { Session } from 'node:inspector';
import type { WireFrame, WireProfileDescriptor } from '../transport/messages.js';
import { SampleGroups } from './sample-groups.js';
import type { ProfileSource } from './snapshot.js';
import { isOwnFile, isUserFile } from './frame-owner.js';
import type { StackTable } from './stack-table.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: ProfileNode[];
}

interface SamplingProfile {
  head: ProfileNode;
  samples: Array<{ size: number; nodeId: number; ordinal: number }>;
}

/**
 * The heap profile (`--heap`): measured in bytes, never judged by count: what grows is judged on
 * the memory series (`--max-heap-growth`, kind 'heap-growth').
 */
export const HEAP_PROFILE: WireProfileDescriptor = {
  name: 'heap',
  item: 'allocation',
  // The names Go's heap profile has, so `go tool pprof -inuse_objects` and `-inuse_space` work.
  sampleTypes: [
    { type: 'inuse_objects', unit: 'count', of: 'count' },
    { type: 'inuse_space', unit: 'bytes', of: 'bytes' },
  ],
  defaultSampleType: 'inuse_space',
  holdsProcess: false,
};

export class HeapProfile implements ProfileSource {
  readonly descriptor = HEAP_PROFILE;
  private session: Session | undefined;
  /** Why the profile could not start, for the report's notes. */
  failure: string | undefined;

  constructor(
    private readonly stacks: StackTable,
    private readonly interval: number,
    private readonly depth: number,
  ) {}

  start(): void {
    try {
      const session = new Session();
      session.connect();
      this.post(session, 'HeapProfiler.startSampling', { samplingInterval: this.interval });
      this.session = session;
    } catch (error) {
      this.failure = `the heap profile could not start: ${(error as Error).message}`;
    }
  }

  stop(): void {
    if (!this.session) return;
    try {
      this.post(this.session, 'HeapProfiler.stopSampling');
      this.session.disconnect();
    } catch {
      // the process is going away
    }
    this.session = undefined;
  }

  sample(): SampleGroups {
    const groups = new SampleGroups(0);
    if (!this.session) return groups;
    let profile: SamplingProfile;
    try {
      profile = (this.post(this.session, 'HeapProfiler.getSamplingProfile') as { profile: SamplingProfile }).profile;
    } catch {
      return groups;
    }
    // V8 scales each node's bytes for the sampling already (a sample stands for about `interval` bytes of small
    // objects), but it does not say the objects' own sizes, so there is no object count to estimate: a group's
    // count is its number of samples, and its bytes are the measure.
    const samples = new Map<number, number>();
    for (const s of profile.samples) samples.set(s.nodeId, (samples.get(s.nodeId) ?? 0) + 1);
    const path: WireFrame[] = [];
    const walk = (node: ProfileNode, isRoot: boolean): void => {
      if (!isRoot) path.push(toFrame(node.callFrame));
      if (node.selfSize > 0 && path.length > 0 && !path.some(isOwnFrame)) {
        const frames = this.cut([...path].reverse());
        const stack = this.stacks.internFrames(frames);
        const count = samples.get(node.id) ?? 1;
        groups.addCounted(String(stack), { type: 'heap', label: 'heap', state: 'inuse', stack, createdBy: -1, createdByAsync: -1, estimated: true }, count, 0, 0, node.selfSize);
      }
      for (const child of node.children) walk(child, false);
      if (!isRoot) path.pop();
    };
    walk(profile.head, true);
    return groups;
  }

  /** As a creation stack: the first `depth` frames, or down to the first user frame when those hold none. */
  private cut(frames: WireFrame[]): WireFrame[] {
    if (frames.length <= this.depth) return frames;
    const user = frames.findIndex((f) => isUserFile(f.file));
    return frames.slice(0, Math.max(this.depth, user + 1));
  }

  private post(session: Session, method: string, params?: object): unknown {
    let result: unknown;
    let failure: Error | null = null;
    let answered = false;
    session.post(method, params, (error, value) => {
      answered = true;
      failure = error;
      result = value;
    });
    // An in-process session answers before post returns; if it ever stops doing so, say it plainly.
    if (!answered) throw new Error(`${method} did not answer synchronously`);
    if (failure) throw failure;
    return result;
  }
}

function toFrame(frame: CallFrame): WireFrame {
  return {
    fn: frame.functionName || '<anonymous>',
    // Builtins and native allocations have no script: they are the runtime's.
    file: frame.url || 'node:<builtin>',
    line: frame.lineNumber + 1,
    col: frame.columnNumber + 1,
  };
}

/** leakprof's own allocations (its tables and snapshots) are not the workload's. */
function isOwnFrame(frame: WireFrame): boolean {
  return isOwnFile(frame.file);
}
