/**
 * Runners that compile test files themselves (jest with babel-jest, vitest with vite) keep
 * the source maps where Node does not look. Their integrations hand the map's JSON here;
 * sources are made absolute, so mapped frames name the test file by its path.
 */
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';

interface Payload {
  sources?: string[];
  sourceRoot?: string;
}

export function sourceMapFor(file: string, json: string): SourceMap {
  const payload = JSON.parse(json) as Payload;
  const base = resolve(dirname(file), payload.sourceRoot ?? '');
  payload.sources = (payload.sources ?? []).map((source) => (isAbsolute(source) ? source : resolve(base, source)));
  delete payload.sourceRoot;
  return new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
}
