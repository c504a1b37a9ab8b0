// One answer to each question, in one module: which signal (src/util/signals.ts, from the OS's
// own table), which group (src/transport/group-identity.ts). A second table or a second key
// built beside them is how two answers came to disagree before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './helpers/leakprof.js';

const SRC = join(ROOT, 'src');

function sources(dir = SRC) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.c?ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

function offenders(pattern, owner) {
  return sources()
    .map((file) => relative(SRC, file))
    .filter((rel) => rel !== owner && pattern.test(readFileSync(join(SRC, rel), 'utf8')));
}

test('signal numbers come from the OS, in util/signals.ts only', () => {
  assert.deepEqual(offenders(/constants\.signals|\bSIG[A-Z0-9]+['"]?\s*:\s*\d+/, 'util/signals.ts'), []);
});

test('a group key is built in transport/group-identity.ts only', () => {
  // What the old keys looked like: a template of label, state and stack ids, or a baseline's own key.
  assert.deepEqual(offenders(/\$\{label\}\\u0000\$\{state\}|function baselineKey|function groupSignature/, 'transport/group-identity.ts'), []);
});
