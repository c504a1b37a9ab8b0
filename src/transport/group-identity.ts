/**
 * Which group is this: the one answer, for every stage.
 *
 * A group is what a person reads in a report: its profile, type, label and state, where it was
 * made in the user's code (the user's frames of its creation stack, innermost first, each
 * `file:line:column`; all its frames when none is the user's), the user's frame of the async
 * ancestor that made it (Go's "created by"), and the test that made it. Samples whose stacks
 * differ only in Node's or a library's frames (a timer armed through two paths of one library,
 * a callback run from `listOnTimeout` or `processTimers`) read the same, so they are one group;
 * two different lines of the user's are two. `groupKey` is that identity as a string, and the
 * report's groups (analyse/build-report.ts), growth's series (analyse/growth.ts), baselines
 * (check/baseline.ts, whose file stores the identity itself) and report diffs
 * (report/report-diff.ts) all key by it, so a baseline or a diff of one run has exactly the
 * report's groups.
 *
 * Two places need a different identity, and derive it from this one:
 * - The child (collect/snapshot.ts, collect/handle-groups.ts) groups before frames are
 *   resolved, by raw stack ids: `rawGroupKey`. It is finer than `groupKey` and never coarser
 *   (one stack id is one list of frames), so every raw group falls in exactly one report group;
 *   the report merges raw groups that read the same. It is one template string per resource
 *   placed, nothing more: the hot path.
 * - pprof merges samples by frames and labels, as pprof itself does (report/pprof-model.ts
 *   `sampleKey`), for profiles from any producer. leakprof writes one sample per report group,
 *   with type, state, label and test among its labels and the whole creation stack as its
 *   frames, so reading its own file back merges no two groups.
 *
 * Across runs (`leakprof report --base`) a diff first pairs groups by this identity, then pairs
 * what is left by `looseGroupKey`: the same, with the numbers in the label masked (a timer whose
 * delay is computed from the clock has another label every run).
 */

/** What the identity reads of a frame: a report's frame, or a wire frame the analysis classified. */
export interface IdentityFrame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Whose code it is (collect/frame-owner.ts): only `user` frames place a group. */
  readonly kind: string;
}

/** A group's identity, as a baseline file stores it. */
export interface GroupIdentity {
  profile: string;
  type: string;
  label: string;
  state: string;
  /** Where it was made as the report shows it: the user's frames (or all, when none is the user's), innermost first, `file:line:column`. */
  stack: string[];
  /** The created-by ancestor's innermost user frame, `file:line:column`, or null. */
  createdBy: string | null;
  /** The test that made it, when a runner said. */
  test?: string;
}

/** What a group carries that its identity is read from: a report's group, or a wire sample the analysis resolved. */
export interface IdentitySource {
  type: string;
  label: string;
  state: string;
  frames: readonly IdentityFrame[] | null | undefined;
  createdBy?: { frames: readonly IdentityFrame[] } | undefined;
  test?: string | undefined;
}

function where(f: IdentityFrame): string {
  return `${f.file}:${f.line}:${f.column}`;
}

export function identityOf(profile: string, group: IdentitySource): GroupIdentity {
  const frames = group.frames ?? [];
  const user = frames.filter((f) => f.kind === 'user');
  const by = group.createdBy?.frames.find((f) => f.kind === 'user');
  const id: GroupIdentity = {
    profile,
    type: group.type,
    label: group.label,
    state: group.state,
    stack: (user.length > 0 ? user : frames).map(where),
    createdBy: by ? where(by) : null,
  };
  if (group.test !== undefined && group.test !== '') id.test = group.test;
  return id;
}

export function groupKey(id: GroupIdentity): string {
  return [id.profile, id.type, id.label, id.state, id.stack.join('|'), id.createdBy ?? '-', id.test ?? ''].join('\u0000');
}

/** The identity with the label's numbers masked: only for pairing what two runs left unpaired. */
export function looseGroupKey(id: GroupIdentity): string {
  return groupKey({ ...id, label: id.label.replace(/\d+(\.\d+)?/g, '#') });
}

/**
 * The child's key, by raw ids (interned stacks, interned test): label (which names the type),
 * state, the creation stack, the created-by ancestor's stack (for a parked promise: the promise
 * its chain waits on), the test; and `calledFrom`, a parked await's caller stack (async profile
 * only: two awaits in one function called from two places are two groups).
 */
export function rawGroupKey(label: string, state: string, stack: number, createdBy: number, test: number, calledFrom = -1): string {
  return `${label}\u0000${state}\u0000${stack}\u0000${createdBy}\u0000${test}\u0000${calledFrom}`;
}
