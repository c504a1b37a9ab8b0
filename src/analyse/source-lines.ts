/** The source text of a frame's line, read once per file. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

const files = new Map<string, string[] | null>();

export function sourceLine(file: string, line: number, cwd: string): string | undefined {
  if (file.startsWith('node:') || line < 1) return undefined;
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
  const text = lines?.[line - 1]?.trim();
  return text ? (text.length > 120 ? `${text.slice(0, 117)}...` : text) : undefined;
}
