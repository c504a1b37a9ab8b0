/**
 * `require('leakprof')`: leakprof is an ES module. Node >= 20.19 and 22.12 load it with
 * `require` as they are; jest's own module system cannot (before Node 24.9), so under
 * leakprof (check/run, or `--import leakprof/register`) the jest integration hands each
 * test file's context the API, loaded outside the vm, under a registered symbol; without
 * leakprof, Node's own require loads it (Node >= 20.19).
 */
const shared = (globalThis as Record<symbol, unknown>)[Symbol.for('leakprof.api')];

function load(): unknown {
  if (shared !== undefined) return shared;
  try {
    return require('./index.js');
  } catch (error) {
    // Under jest without leakprof, `require` (and module.createRequire) is jest's, which cannot
    // load an ES module: Node's own loader (Node >= 20.19 loads ES modules with require) loads it
    // outside the test's vm, as the jest integration does. Nothing of leakprof's starts on loading.
    try {
      const nodeLoader = require('node:module') as { _load?: (request: string, parent: null, isMain: boolean) => unknown };
      if (typeof nodeLoader._load === 'function') return nodeLoader._load(require('node:path').join(__dirname, 'index.js'), null, false);
    } catch {
      // Older Node: the error below says what to do.
    }
    throw new Error(
      "leakprof is an ES module: use `import { verifyNone } from 'leakprof'` (or `await import('leakprof')`); " +
        'under jest, run it through `leakprof check` or `node --import leakprof/register`, or use Node >= 20.19 for require()',
      { cause: error },
    );
  }
}

module.exports = load();
