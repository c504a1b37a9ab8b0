// Issue 17: the async profile counts what is parked. On each fixture the default promise budget
// shows the same groups as exact mode (--promise-budget 100000000) on the same program, every
// group of 100 tasks or more and the total within 5% of exact, and the parked group within 5%
// of the number the fixture itself prints. A budget small enough to force sampling still shows
// the same groups (a .then on a parked call is never a group of its own), with the estimate's
// interval in the JSON and the text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGroups, leakprofCli, location, markerLine, processFor, profileGroups, runLeakprof, visible, UNTIL_IDLE } from './helpers/leakprof.js';

const EXACT = ['--promise-budget', '100000000'];

const fixtures = [
  { file: 'fixtures/parked-counts/once-then.mjs', marker: 'PARKED', parked: /parked: (\d+)/ },
  { file: 'fixtures/parked-counts/bounded-queue.mjs', marker: 'SLOT', parked: /parked: (\d+)/ },
  { file: 'fixtures/parked-counts/race-losers.mjs', marker: 'PARKED', parked: /parked: (\d+)/ },
  { file: 'fixtures/timeout-race/leaky.mjs', marker: 'LEAK', parked: /(\d+) senders still in flight/ },
];

/** The async profile of one run: groups by where they are parked (label and line), the total, and what the fixture printed. */
async function asyncProfile({ file, parked }, flags, env) {
  const { report, code, stderr } = await runLeakprof(['--promises', ...flags, ...UNTIL_IDLE, file], { env });
  assert.equal(code, 0, stderr);
  const said = Number(parked.exec(stderr)?.[1]);
  assert.ok(said > 0, `the fixture says how many it parked: ${stderr}`);
  const proc = processFor(report, file);
  const groups = visible(profileGroups(proc, 'async'));
  const byPlace = new Map();
  for (const g of groups) {
    const key = `${g.label} ${location(g)}`;
    const seen = byPlace.get(key) ?? { count: 0, margin: 0, estimated: false };
    byPlace.set(key, { count: seen.count + g.count, margin: Math.hypot(seen.margin, g.margin ?? 0), estimated: seen.estimated || g.estimated === true });
  }
  const total = groups.reduce((n, g) => n + g.count, 0);
  return { said, byPlace, total, groups, proc };
}

const within = (value, truth, share) => Math.abs(value - truth) <= Math.max(1, truth * share);

describe('async profile estimates (issue 17)', { concurrency: true }, () => {
  for (const fixture of fixtures) {
    test(`${fixture.file}: the default budget shows the exact mode's groups, counts within 5%`, async () => {
      const [sampled, exact] = await Promise.all([asyncProfile(fixture, []), asyncProfile(fixture, EXACT)]);
      const show = `default:\n${describeGroups(sampled.groups)}\nexact:\n${describeGroups(exact.groups)}`;
      const big = (p) => [...p.byPlace].filter(([, g]) => g.count >= 100).map(([k]) => k).sort();
      assert.deepEqual(big(sampled), big(exact), show);
      assert.ok(big(exact).length > 0, show);
      const parkedAt = `await ${fixture.file}:${markerLine(fixture.file, fixture.marker)}`;
      for (const run of [sampled, exact]) {
        const group = run.byPlace.get(parkedAt);
        assert.ok(group, `a group at ${parkedAt}:\n${show}`);
        assert.ok(within(group.count, run.said, 0.05), `${group.count} reported at ${parkedAt}, the fixture parked ${run.said}:\n${show}`);
        assert.ok(within(run.total, run.said, 0.05), `total ${run.total}, the fixture parked ${run.said}:\n${show}`);
      }
      // The two runs park their own numbers (timeout-race depends on timing): each against its own truth, so as shares.
      for (const [key, g] of exact.byPlace) {
        if (g.count < 100) continue;
        const share = sampled.byPlace.get(key).count / sampled.said;
        assert.ok(Math.abs(share - g.count / exact.said) <= 0.05, `${key}: ${sampled.byPlace.get(key).count} of ${sampled.said} sampled, ${g.count} of ${exact.said} exact`);
      }
      assert.ok(!exact.groups.some((g) => g.estimated), 'exact mode estimates nothing');
    });
  }

  test('sampled well below the budget: still one group at the await, no `.then` group, the interval said', async () => {
    const file = 'fixtures/parked-counts/once-then.mjs';
    const env = { REQUESTS: '6000' };
    const { said, groups, proc } = await asyncProfile({ file, parked: /parked: (\d+)/ }, ['--promise-budget', '2000'], env);
    assert.equal(proc.promiseCounts.sampled, true, 'this many promises at this budget are sampled');
    const at = groups.filter((g) => location(g) === `${file}:${markerLine(file, 'PARKED')}`);
    assert.equal(at.length, 1, describeGroups(groups));
    const [group] = at;
    // No .then group of any size: one whose call's own promise was not taken while the mean moved back to 1 can be a stray single.
    assert.deepEqual(groups.filter((g) => g.label === 'then' && g.count >= said * 0.05), [], describeGroups(groups));
    assert.ok(groups.every((g) => g === group || g.count < said * 0.05), describeGroups(groups));
    assert.equal(group.label, 'await');
    assert.equal(group.estimated, true);
    assert.ok(group.margin > 0, JSON.stringify(group));
    // The margin is a 95% interval, itself estimated from a few dozen samples: three times it holds the truth but in a run of thousands.
    assert.ok(Math.abs(group.count - said) <= 3 * group.margin, `≈${group.count} ±${group.margin}, the fixture parked ${said}`);

    const { stderr } = await leakprofCli(['run', '--promises', '--promise-budget', '2000', ...UNTIL_IDLE, file], { env });
    assert.match(stderr, /async profile: total [\d,]+\n≈[\d,]+ \(±\d+%\) @ await pending age/);
    assert.doesNotMatch(stderr, /^≈?\d[\d,]{2,}( \(±\d+%\))? @ then pending/m, 'no .then group of 100 or more');
  });
});
