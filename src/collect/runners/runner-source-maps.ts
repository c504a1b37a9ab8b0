/**
 * A source map Node did not keep, from its JSON: runners that compile test files themselves
 * (jest with babel-jest, vitest with vite) keep theirs where Node does not look, and code a
 * require hook transformed (nyc, babel) carries its own inline. Sources are made absolute
 * paths (relative ones against the script's folder, `file://` URLs converted), so mapped
 * frames name the original file by its path; other URLs (`webpack://…`) are kept as they are.
 */
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Payload {
  sources?: string[];
  sourceRoot?: string;
}

export function sourceMapFor(file: string, json: string): SourceMap {
  const payload = JSON.parse(json) as Payload;
  const base = resolve(dirname(file), payload.sourceRoot ?? '');
  payload.sources = (payload.sources ?? []).map((source) => absoluteSource(source, base));
  delete payload.sourceRoot;
  return new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
}

function absoluteSource(source: string, base: string): string {
  if (source.startsWith('file://')) {
    try {
      return fileURLToPath(source);
    } catch {
      return source;
    }
  }
  if (isAbsolute(source) || /^[a-z][a-z0-9+.-]*:/i.test(source)) return source;
  return resolve(base, source);
}
