// The floor of promise tracking: V8's promise hooks installed, doing nothing. With any promise
// hook V8 leaves its fast paths (and Node calls into JS at each event), whatever the hook does.
// HOOKS names them: "init,settled" is what --promises installs; "before,after" is what Node 20
// installs for any async_hooks hook (leakprof's default mode there).
import { promiseHooks } from 'node:v8';

const noop = () => {};
promiseHooks.createHook(Object.fromEntries((process.env.LEAKPROF_BENCH_HOOKS ?? 'init,settled').split(',').map((name) => [name, noop])));
