/**
 * verifyNone() called from inside a test (its body or its each-hooks) answers for that
 * test: what another test made is that test's leak, reported when it checks (or by
 * `leakprof check` at exit), not this one's — goleak issue 48: "a leak in test A, the
 * check only in test B" blames A and lets B pass. Groups made outside any test (module
 * top, a suite's before hook) still count everywhere.
 */
import { currentTestName, sameTest } from '../collect/test-context.js';
import type { ProcessReport } from '../report/schema.js';

export function scopeToCurrentTest(proc: ProcessReport): ProcessReport {
  const current = currentTestName();
  if (current === undefined) return proc;
  const mine = (test: string | undefined): boolean => test === undefined || sameTest(test, current);
  return {
    ...proc,
    profiles: proc.profiles.map((profile) => {
      const groups = profile.groups.filter((g) => mine(g.test));
      return { ...profile, groups, total: groups.reduce((n, g) => n + g.count, 0) };
    }),
  };
}
