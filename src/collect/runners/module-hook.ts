/**
 * Patches a CommonJS module the first time it is required. Test runners load their own
 * code with `require` (mocha's Runnable, jest's test environment), so a hook on
 * `Module._load` reaches them without any change to the user's configuration.
 */
import Module from 'node:module';

type Load = (request: string, parent: { filename?: string | null } | null | undefined, isMain: boolean) => unknown;

interface Patch {
  /** Cheap test on the request string (and the requiring file): runs on every require. */
  matches(request: string, parentFile: string): boolean;
  /** Patches the module's exports; may return a replacement to hand to the caller. */
  apply(exports: unknown): unknown;
}

const patches: Patch[] = [];

export function onRequire(patch: Patch): void {
  if (patches.length === 0) install();
  patches.push(patch);
}

function install(): void {
  const internal = Module as unknown as { _load: Load };
  const load = internal._load;
  internal._load = function (this: unknown, request, parent, isMain) {
    let exports = load.call(this, request, parent, isMain);
    for (const patch of patches) {
      if (patch.matches(request, parent?.filename ?? '')) {
        try {
          exports = patch.apply(exports) ?? exports;
        } catch {
          // A runner version we do not know: leave it as it is, attribution just stays off.
        }
      }
    }
    return exports;
  };
}
