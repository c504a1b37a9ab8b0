/**
 * Patches a CommonJS module once it has loaded. Test runners load their own code with
 * `require` (jest's test environment and runtime), so a hook on module loading reaches
 * them without any change to the user's configuration.
 *
 * The hook is never on the stack while a module's code runs: wrapping `Module._load` (or
 * `require`, or `_compile`) would put a leakprof frame into every error thrown while a
 * module loads, and push one of the workload's own frames out of its 10. Instead,
 * `Module.prototype.loaded` is an accessor: Node's constructor sets `this.loaded = false`
 * (with `this.id`, the module's file, already set) and `Module.prototype.load` sets
 * `this.loaded = true` after the module's code has run, from the same frame that called
 * it. A module no patch wants gets a plain `loaded` property at once, where bare Node puts
 * it; one a patch wants keeps the accessor until it has loaded, then is patched.
 */
import Module from 'node:module';

interface Patch {
  /** Cheap test on the module's file (its resolved path): runs once for every CommonJS module. */
  matches(file: string): boolean;
  /** Patches the module's exports; may return a replacement, which `require` then hands out. */
  apply(exports: unknown): unknown;
}

interface LoadingModule {
  id?: unknown;
  exports: unknown;
}

const patches: Patch[] = [];
const wanted = new WeakMap<object, Patch[]>();

export function onRequire(patch: Patch): void {
  if (patches.length === 0) install();
  patches.push(patch);
}

function plain(module: object, value: unknown): void {
  Object.defineProperty(module, 'loaded', { value, writable: true, enumerable: true, configurable: true });
}

function install(): void {
  const proto = (Module as unknown as { prototype: object }).prototype;
  if (Object.getOwnPropertyDescriptor(proto, 'loaded')) return;
  Object.defineProperty(proto, 'loaded', {
    configurable: true,
    enumerable: false,
    get(this: object): unknown {
      // A module a patch waits for reads as Node's own does while it loads.
      return wanted.has(this) ? false : undefined;
    },
    set(this: LoadingModule, value: unknown) {
      let matched = wanted.get(this);
      if (matched === undefined) {
        const file = typeof this.id === 'string' ? this.id : '';
        matched = file ? patches.filter((patch) => safeMatch(patch, file)) : [];
        if (matched.length === 0) return plain(this, value);
        wanted.set(this, matched);
      }
      if (value !== true) return;
      wanted.delete(this);
      plain(this, value);
      for (const patch of matched) {
        try {
          const replaced = patch.apply(this.exports);
          if (replaced !== undefined && replaced !== null) this.exports = replaced;
        } catch {
          // A runner version we do not know: leave it as it is, attribution just stays off.
        }
      }
    },
  });
}

function safeMatch(patch: Patch, file: string): boolean {
  try {
    return patch.matches(file);
  } catch {
    return false;
  }
}
