/**
 * `require('leakprof')`: leakprof is an ES module. Node >= 20.19 and 22.12 load it with
 * `require` as they are; jest's own module system cannot (before Node 24.9), so under
 * leakprof (check/run, or `--import leakprof/register`) the jest integration hands each
 * test file's context the API, loaded outside the vm, under a registered symbol.
 */
const shared = (globalThis as Record<symbol, unknown>)[Symbol.for('leakprof.api')];

function load(): unknown {
  if (shared !== undefined) return shared;
  try {
    return require('./index.js');
  } catch (error) {
    throw new Error(
      "leakprof is an ES module: use `import { verifyNone } from 'leakprof'` (or `await import('leakprof')`); " +
        'under jest, run it through `leakprof check` or `node --import leakprof/register`, or use Node >= 20.19 for require()',
      { cause: error },
    );
  }
}

module.exports = load();
