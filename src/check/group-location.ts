/** Where a group comes from, as check's messages, baselines and annotations name it. */
import type { FrameReport, GroupReport } from '../report/schema.js';

export interface GroupLocation {
  frame: FrameReport;
  /** top: the user's own frame made it; createdBy: an ancestor in user code did; library: only dependency frames. */
  how: 'top' | 'createdBy' | 'library';
}

export function locate(group: GroupReport): GroupLocation | null {
  if (group.top) return { frame: group.top, how: 'top' };
  if (group.createdBy?.top) return { frame: group.createdBy.top, how: 'createdBy' };
  const dep = group.frames?.find((f) => f.kind === 'dependency');
  return dep ? { frame: dep, how: 'library' } : null;
}

export function locationText(group: GroupReport): string | null {
  const at = locate(group);
  return at ? `${at.frame.file}:${at.frame.line}` : null;
}

/** The test that created the group, when a runner's tests were attributed (set by the collector on report groups). */
export function testOf(group: GroupReport): string | undefined {
  const test = (group as GroupReport & { test?: unknown }).test;
  return typeof test === 'string' && test !== '' ? test : undefined;
}
