// The public JSON schema changes only with a version bump: any change to its types bumps
// REPORT_SCHEMA_REVISION, a breaking one REPORT_SCHEMA, and the lock is rewritten with
// `node test/helpers/schema-lock.js --write`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runLeakprof } from './helpers/leakprof.js';
import { declaredVersion, fingerprint, LOCK_FILE, SCHEMA_FILE } from './helpers/schema-lock.js';

const lock = JSON.parse(readFileSync(LOCK_FILE, 'utf8'));

test('the report schema matches its lock, or its version was bumped', () => {
  const now = declaredVersion();
  const sameVersion = now.schema === lock.schema && now.revision === lock.revision;
  const sameShape = fingerprint() === lock.fingerprint;
  if (sameVersion) {
    assert.ok(sameShape, `src/report/schema.ts changed but its version did not: bump REPORT_SCHEMA_REVISION (REPORT_SCHEMA when a reader breaks), then run \`node test/helpers/schema-lock.js --write\``);
  } else {
    assert.ok(now.revision > lock.revision || now.schema !== lock.schema, `the revision went back (${lock.revision} → ${now.revision})`);
    assert.fail(`the schema's version moved to ${now.schema} revision ${now.revision}: record it with \`node test/helpers/schema-lock.js --write\``);
  }
});

test('the fingerprint sees a changed field and ignores comments and layout', () => {
  const text = readFileSync(SCHEMA_FILE, 'utf8');
  assert.equal(fingerprint(text.replace('/** Process uptime, ms. */', '/* uptime */\n\n')), fingerprint(text));
  assert.notEqual(fingerprint(text.replace('heapUsed: number;', 'heapUsed?: number;')), fingerprint(text));
  assert.notEqual(fingerprint(`${text}\nexport interface Extra { x: number }\n`), fingerprint(text));
});

test('a report carries the schema and its revision', async () => {
  const { report } = await runLeakprof(['--', process.execPath, '-e', '0']);
  assert.equal(report.schema, lock.schema);
  assert.equal(report.schemaRevision, lock.revision);
});
