/**
 * The fallback for per-test attribution, for any runner: when the collector could not tell
 * the test (a runner leakprof has no integration for, a process it did not recognise as a
 * test run), the creating stack's frame in a test file is mapped to the `it`/`test` call
 * around its line, by reading the source: `describe('server') > it('reconnects')`. Works
 * for literal names only; async frames (`at async …`) count, so a resource made after an
 * await is still inside its test's call.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { FrameReport } from '../report/schema.js';

const TEST_FILE = /(^|[/\\])(test|tests|__tests__|spec)[/\\]|[.-](test|spec)\.[cm]?[jt]sx?$/;
const TESTS = new Set(['it', 'test', 'specify']);
const SUITES = new Set(['describe', 'suite', 'context']);
const HOOKS = new Set(['before', 'after', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach', 'suiteSetup', 'suiteTeardown', 'setup', 'teardown']);
/** `it('name'`, `test.only("name"`, `describe.concurrent(\`name\``, `beforeAll(` at the start of a call. */
const CALL = /\b([A-Za-z]+)(?:\.(?:only|skip|concurrent|sequential|todo|each\([^)]*\)))?\s*\(\s*(?:(['"`])((?:\\.|(?!\2).)*)\2)?/g;

interface Call {
  kind: 'test' | 'suite' | 'hook';
  name: string;
  /** Offsets of the call's opening and closing parentheses in the file text. */
  open: number;
  close: number;
}

const files = new Map<string, { text: string; lineStarts: number[]; calls: Call[] } | null>();

export function testFromSource(frames: readonly FrameReport[], cwd: string): string | undefined {
  for (const frame of frames) {
    if (frame.kind !== 'user' || !TEST_FILE.test(frame.file)) continue;
    const name = enclosingTest(frame.file, frame.line, frame.column, cwd);
    if (name) return name;
  }
  return undefined;
}

function enclosingTest(file: string, line: number, column: number, cwd: string): string | undefined {
  const parsed = parse(isAbsolute(file) ? file : resolve(cwd, file));
  if (!parsed || line < 1 || line > parsed.lineStarts.length) return undefined;
  const at = parsed.lineStarts[line - 1]! + Math.max(0, column - 1);
  // Calls are in source order; the enclosing ones are those whose parentheses hold the offset.
  const around = parsed.calls.filter((c) => c.open < at && at < c.close);
  const innermost = around[around.length - 1];
  if (!innermost || innermost.kind === 'suite') return undefined;
  return around.filter((c) => c.kind !== 'hook' || c === innermost).map((c) => c.name).join(' > ');
}

function parse(path: string): { text: string; lineStarts: number[]; calls: Call[] } | null {
  let parsed = files.get(path);
  if (parsed !== undefined) return parsed;
  parsed = null;
  try {
    const text = readFileSync(path, 'utf8');
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
    const calls: Call[] = [];
    for (const match of text.matchAll(CALL)) {
      const fn = match[1]!;
      const kind = TESTS.has(fn) ? 'test' : SUITES.has(fn) ? 'suite' : HOOKS.has(fn) ? 'hook' : undefined;
      if (!kind || (kind !== 'hook' && match[3] === undefined)) continue;
      const open = text.indexOf('(', match.index! + fn.length);
      const close = closingParen(text, open);
      if (close < 0) continue;
      calls.push({ kind, name: kind === 'hook' ? fn : match[3]!, open, close });
    }
    parsed = { text, lineStarts, calls };
  } catch {
    parsed = null;
  }
  files.set(path, parsed);
  return parsed;
}

/** The offset of the parenthesis closing the one at `open`, skipping strings and comments; -1 if none. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      i = endOfString(text, i, ch);
    } else if (ch === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === '(' || ch === '{' || ch === '[') {
      depth++;
    } else if (ch === ')' || ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return ch === ')' ? i : -1;
    }
  }
  return -1;
}

function endOfString(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
    else if (quote !== '`' && text[i] === '\n') return i;
  }
  return text.length;
}
