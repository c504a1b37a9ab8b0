/** The source text of a frame's line, read once per file. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

const files = new Map<string, string[] | null>();

export function sourceLine(file: string, line: number, cwd: string): string | undefined {
  if (line < 1) return undefined;
  const text = sourceLines(file, cwd)?.[line - 1]?.trim();
  return text ? (text.length > 120 ? `${text.slice(0, 117)}...` : text) : undefined;
}

/** A file's lines (read once), or undefined for Node's own modules and files that cannot be read. */
export function sourceLines(file: string, cwd: string): readonly string[] | undefined {
  if (file.startsWith('node:')) return undefined;
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let lines = files.get(path);
  if (lines === undefined) {
    try {
      lines = readFileSync(path, 'utf8').split(/\r?\n/);
    } catch {
      lines = null;
    }
    files.set(path, lines);
  }
  return lines ?? undefined;
}

/**
 * The line that declares `name` in a file (`const name`, `let`, `var`, `function`, `class`, or a
 * destructuring that names it), first match: a heap snapshot names a scope's variables, not where they are.
 */
export function declarationLine(file: string, name: string, cwd: string): number | undefined {
  const lines = sourceLines(file, cwd);
  if (!lines) return undefined;
  const id = name.replace(/\$/g, '\\$');
  const declared = new RegExp(`\\b(?:const|let|var|function\\*?|class)\\s+${id}\\b|\\b(?:const|let|var)\\s*[{[][^=]*\\b${id}\\b[^=]*[}\\]]\\s*=`);
  const i = lines.findIndex((text) => declared.test(text));
  return i < 0 ? undefined : i + 1;
}
