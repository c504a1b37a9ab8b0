// The source fallback of per-test attribution: a creating frame's line mapped to the
// it/test call around it, read from the file (no runner needed, so no child process here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFromSource } from '../dist/analyse/test-from-source.js';

const SOURCE = `import { describe, it, beforeEach } from 'vitest';
const atTop = setTimeout(() => {}, 1); // line 2: outside any test

describe('db', () => {
  beforeEach(() => {
    open(); // line 6: the hook
  });

  it('reconnects (after a ")" in the name)', async () => {
    const s = ')'; /* ( */ // (
    await sleep(1);
    connect(); // line 12
  });

  describe.concurrent(\`pool \${'x'}\`, () => {
    test\x2eonly("drains", () => { // a focused test in the scanned source; its dot is escaped so no tool takes this file for one
      drain(); // line 17
    });
  });
});
`;

test('frames are mapped to the enclosing test, suite path first; hooks by their name; outside tests none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakprof-tfs-'));
  try {
    const file = join(dir, 'db.test.mjs');
    writeFileSync(file, SOURCE);
    const frame = (line) => [{ function: 'f', file, line, column: 5, kind: 'user' }];
    assert.equal(testFromSource(frame(12), dir), 'db > reconnects (after a ")" in the name)');
    assert.equal(testFromSource(frame(6), dir), 'db > beforeEach');
    assert.equal(testFromSource(frame(17), dir), "db > pool ${'x'} > drains");
    assert.equal(testFromSource(frame(2), dir), undefined);
    // Only test-looking files, only the user's frames.
    const other = join(dir, 'server.mjs');
    writeFileSync(other, SOURCE);
    assert.equal(testFromSource([{ function: 'f', file: other, line: 12, column: 5, kind: 'user' }], dir), undefined);
    assert.equal(testFromSource([{ function: 'f', file, line: 12, column: 5, kind: 'dependency' }], dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
