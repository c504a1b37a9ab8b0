// The public report schema's fingerprint: src/report/schema.ts with its comments and layout
// removed (TypeScript's own scanner), hashed. `node test/helpers/schema-lock.js --write` records it
// in test/schema-lock.json beside the schema's version and revision, after a bump.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCHEMA_FILE = `${ROOT}src/report/schema.ts`;
export const LOCK_FILE = `${ROOT}test/schema-lock.json`;

/** The schema's tokens, one per line: what a reader's types depend on, not how it is written. */
export function schemaTokens(text = readFileSync(SCHEMA_FILE, 'utf8')) {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, /* skipTrivia */ true, ts.LanguageVariant.Standard, text);
  const tokens = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) tokens.push(scanner.getTokenText());
  return tokens;
}

/** The version and revision the schema file declares. */
export function declaredVersion(text = readFileSync(SCHEMA_FILE, 'utf8')) {
  const schema = /export const REPORT_SCHEMA = '([^']+)'/.exec(text)?.[1];
  const revision = Number(/export const REPORT_SCHEMA_REVISION = (\d+)/.exec(text)?.[1]);
  return { schema, revision };
}

/** The fingerprint leaves out the version lines themselves: a bump alone is not a change of shape. */
export function fingerprint(text = readFileSync(SCHEMA_FILE, 'utf8')) {
  const shape = text.replace(/export const REPORT_SCHEMA(_REVISION)? = [^;]+;/g, '');
  return createHash('sha256').update(schemaTokens(shape).join('\n')).digest('hex').slice(0, 16);
}

if (process.argv[2] === '--write') {
  const lock = { ...declaredVersion(), fingerprint: fingerprint() };
  writeFileSync(LOCK_FILE, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`test/schema-lock.json: ${lock.schema} revision ${lock.revision}, fingerprint ${lock.fingerprint}`);
}
