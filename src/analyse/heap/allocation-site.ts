/**
 * The line that allocated a leak set's group (`allocated in login at src/cache.mjs:6`).
 *
 * V8 knows which *function* allocated, never which line: the sampling heap profile's frames and
 * the allocation tracker's `trace_function_infos` (`trackAllocations`) both carry the function's
 * start, on Node 20, 22 and 24 alike (docs/heap.md). So the line comes from the source: the
 * function's span in its file, and within it the line that makes the group's kind — `new Session(`
 * for a class, `setTimeout(` for a Timeout, an object literal for an Object. The functions tried
 * are the ones that put into the holder (`sessions.set(`), then the heap profile's allocating
 * functions. When no one line is certain, the function and its header line are said instead, or
 * nothing when not even the function is.
 */
import type { GroupReport, HeapLeakGroup } from '../../report/schema.js';
import { sourceLines } from '../source-lines.js';

export interface AllocationSite {
  /** The allocating function's name, `<anonymous>` when it has none. */
  function: string;
  file: string;
  line: number;
  column: number;
  /** `line` is the line that makes the objects; otherwise it is the function's header (no one line was certain). */
  exact: boolean;
}

/** A function's body in a file: where its parameters start (V8's function position) and the lines its body spans. */
interface FunctionSpan {
  name: string;
  line: number;
  column: number;
  /** Offsets of the body's braces in the file's text. */
  from: number;
  to: number;
}

/** What makes an object of each kind V8 names, as source text; undefined when the source cannot tell. */
function constructorPattern(group: Pick<HeapLeakGroup, 'name' | 'nodeType'>): RegExp | undefined {
  const { name, nodeType } = group;
  if (name === 'Timeout') return /\bset(?:Timeout|Interval)\s*\(/;
  if (name === 'Immediate') return /\bsetImmediate\s*\(/;
  // A promise: `new Promise(`, a combinator, or a reaction (`.then(`, `.catch(`, `.finally(`) made on this line.
  if (name === 'Promise') return /\bnew\s+Promise\b|\bPromise\.\w+\s*\(|\.\s*(?:then|catch|finally)\s*\(/;
  if (nodeType === 'array' || name === 'Array') return /\bnew\s+Array\b|\bArray\.(?:from|of)\s*\(|(?:^|[=(,:?]|\breturn)\s*\[/;
  if (name === 'Object' && nodeType === 'object') return /(?:[=(,:?]|\breturn)\s*\{/;
  if (nodeType === 'object' && /^[A-Za-z_$][\w$]*$/.test(name)) return new RegExp(`\\bnew\\s+${name.replace(/\$/g, '\\$')}\\b`);
  return undefined;
}

/**
 * Where `group` was allocated: first in the functions that put into the holder (`holder.set(…)`,
 * `.add`, `.push`, `holder[k] = …`), then in the heap profile's allocating functions, largest first.
 */
export function allocationSite(
  group: Pick<HeapLeakGroup, 'name' | 'nodeType'>,
  holder: { variable: string; file: string } | undefined,
  heapProfile: readonly GroupReport[],
  cwd: string,
): AllocationSite | undefined {
  const makes = constructorPattern(group);
  const holderText = holder ? new RegExp(`\\b${holder.variable.replace(/\$/g, '\\$')}\\b`) : undefined;
  const ranked = [...heapProfile].filter((g) => g.frames).sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0));
  if (holder && makes) {
    const file = indexed(holder.file, cwd);
    const id = holder.variable.replace(/\$/g, '\\$');
    const puts = new RegExp(`\\b${id}\\s*(?:\\.\\s*(?:set|add|push|unshift|splice)\\s*\\(|\\[[^\\]]*\\]\\s*=[^=])`);
    const sites = new Map<string, AllocationSite & { bytes: number }>();
    for (let i = 0; file && i < file.lines.length; i++) {
      const match = puts.exec(file.lines[i]!);
      if (!match) continue;
      const fn = innermost(file.functions, file.offsetOf(i + 1, match.index + 1));
      const site = fn && lineIn(file, fn, makes, holderText);
      if (!fn || !site || site === AMBIGUOUS) continue;
      // What the heap profile says this function allocated: the tie-break when several functions fill the holder.
      const bytes = ranked.reduce((n, g) => n + (g.frames!.some((f) => f.file === holder.file && f.line === fn.line) ? (g.bytes ?? 0) : 0), 0);
      sites.set(`${site.line}`, { function: fn.name, file: holder.file, ...site, exact: true, bytes });
    }
    const found = [...sites.values()].sort((a, b) => b.bytes - a.bytes);
    if (found.length === 1 || (found.length > 1 && found[0]!.bytes > found[1]!.bytes)) {
      const { bytes: _, ...site } = found[0]!;
      return site;
    }
    // Several functions fill the holder and make the kind, and the profile does not tell them apart: no line is certain.
    if (found.length > 1) return undefined;
  }
  // The heap profile: each stack's innermost function of the program's, past the group's own constructor.
  let header: AllocationSite | undefined;
  for (const g of ranked) {
    const user = g.frames!.filter((f) => f.kind === 'user');
    const frame = user[0]?.function === group.name && user.length > 1 ? user[1]! : user[0];
    if (!frame) continue;
    const file = indexed(frame.file, cwd);
    const fn = file?.functions.find((f) => f.line === frame.line && f.column === frame.column) ?? file?.functions.find((f) => f.line === frame.line && f.name === frame.function);
    if (!file || !fn || !makes) continue;
    const site = lineIn(file, fn, makes, holderText);
    if (site === AMBIGUOUS) header ??= { function: fn.name, file: frame.file, line: fn.line, column: fn.column, exact: false };
    else if (site) return { function: fn.name, file: frame.file, ...site, exact: true };
  }
  return header;
}

const AMBIGUOUS = 'ambiguous';

/**
 * The one line in `fn`'s own body (not in the functions nested in it) that makes the kind; of
 * several, the one that also names the holder; AMBIGUOUS when that leaves more than one (the
 * function makes the kind, on a line not certain), undefined when none does (it is not the maker).
 */
function lineIn(file: IndexedFile, fn: FunctionSpan, makes: RegExp, holder: RegExp | undefined): { line: number; column: number } | typeof AMBIGUOUS | undefined {
  const nested = file.functions.filter((f) => f !== fn && f.from > fn.from && f.to <= fn.to);
  const found: Array<{ line: number; column: number; text: string }> = [];
  const first = file.lineOf(fn.from);
  const last = file.lineOf(fn.to);
  for (let line = first; line <= last; line++) {
    const text = file.lines[line - 1]!;
    const pattern = new RegExp(makes.source, 'g');
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      const at = file.offsetOf(line, m.index + 1);
      if (at <= fn.from || at >= fn.to || nested.some((f) => at > f.from && at < f.to) || file.inCommentOrString(at)) continue;
      found.push({ line, column: m.index + 1 + (m[0].length - m[0].trimStart().length), text });
      break;
    }
  }
  if (found.length === 1) return { line: found[0]!.line, column: found[0]!.column };
  const naming = holder ? found.filter((f) => holder.test(f.text)) : [];
  if (naming.length === 1) return { line: naming[0]!.line, column: naming[0]!.column };
  return found.length > 1 ? AMBIGUOUS : undefined;
}

function innermost(functions: readonly FunctionSpan[], at: number): FunctionSpan | undefined {
  let best: FunctionSpan | undefined;
  for (const f of functions) if (f.from < at && at < f.to && (!best || f.from > best.from)) best = f;
  return best;
}

interface IndexedFile {
  lines: readonly string[];
  functions: FunctionSpan[];
  offsetOf(line: number, column: number): number;
  lineOf(offset: number): number;
  inCommentOrString(offset: number): boolean;
}

const index = new Map<string, IndexedFile | null>();

function indexed(file: string, cwd: string): IndexedFile | undefined {
  const key = `${cwd}\0${file}`;
  let entry = index.get(key);
  if (entry === undefined) {
    const lines = sourceLines(file, cwd);
    entry = lines ? indexFile(lines) : null;
    index.set(key, entry);
  }
  return entry ?? undefined;
}

const NOT_FUNCTIONS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof', 'await', 'yield', 'new', 'in', 'of']);

/**
 * Every function body in a file with braces, by one pass that skips strings, template literals,
 * comments and regular expressions: a `{` after `=>`, or after `)` whose `(` follows `function`, a
 * name (a method) or nothing a statement would start with.
 */
function indexFile(lines: readonly string[]): IndexedFile {
  const text = lines.join('\n');
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const quoted: Array<[number, number]> = [];
  const parens = new Map<number, number>(); // ')' → its '('
  const functions: FunctionSpan[] = [];
  const open: Array<{ at: number; fn?: Omit<FunctionSpan, 'to'> }> = [];
  const openParens: number[] = [];
  let lastSignificant = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      quoted.push([i, end < 0 ? text.length : end]);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      quoted.push([i, end < 0 ? text.length : end + 2]);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    const before = lastSignificant >= 0 ? text[lastSignificant]! : '';
    if (c === '"' || c === "'" || c === '`' || (c === '/' && (before === '' || '(,=:[!&|?{};+-*%<>~^'.includes(before) || /\breturn$/.test(text.slice(Math.max(0, i - 7), i).trimEnd())))) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length) {
        const d = text[j]!;
        if (d === '\\') j++;
        else if (c === '/' && d === '[') inClass = true;
        else if (c === '/' && d === ']') inClass = false;
        else if (d === c && !inClass) break;
        else if (c !== '`' && d === '\n') break;
        j++;
      }
      quoted.push([i, j + 1]);
      i = j;
      lastSignificant = j;
      continue;
    }
    if (c === '(') openParens.push(i);
    else if (c === ')') {
      const o = openParens.pop();
      if (o !== undefined) parens.set(i, o);
    } else if (c === '{') {
      open.push({ at: i, fn: functionBefore(text, lastSignificant, i, parens, lineOf, starts) });
    } else if (c === '}') {
      const o = open.pop();
      if (o?.fn) functions.push({ ...o.fn, to: i });
    }
    if (!/\s/.test(c)) lastSignificant = i;
  }
  return {
    lines,
    functions,
    offsetOf: (line, column) => (starts[line - 1] ?? text.length) + column - 1,
    lineOf,
    inCommentOrString: (offset) => quoted.some(([a, b]) => offset > a && offset < b),
  };
}

/** The function whose body the `{` at `from` opens, from the text before it (`prev` is its last significant character). */
function functionBefore(text: string, prev: number, from: number, parens: Map<number, number>, lineOf: (o: number) => number, starts: number[]): Omit<FunctionSpan, 'to'> | undefined {
  const at = (offset: number, name: string, from: number): Omit<FunctionSpan, 'to'> => {
    const line = lineOf(offset);
    return { name, line, column: offset - starts[line - 1]! + 1, from };
  };
  if (prev >= 1 && text[prev] === '>' && text[prev - 1] === '=') {
    // An arrow: `(a, b) => {` or `a => {`; named by what it is assigned to.
    let p = prev - 2;
    while (p >= 0 && /\s/.test(text[p]!)) p--;
    let params: number;
    if (text[p] === ')') params = parens.get(p) ?? p;
    else {
      params = p;
      while (params > 0 && /[\w$]/.test(text[params - 1]!)) params--;
    }
    const head = text.slice(Math.max(0, params - 200), params);
    const name = /([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s*)?$/.exec(head)?.[1] ?? '<anonymous>';
    return at(params, name, from);
  }
  if (text[prev] !== ')') return undefined;
  const params = parens.get(prev);
  if (params === undefined) return undefined;
  const head = text.slice(Math.max(0, params - 200), params);
  const m = /(?:\bfunction\b\s*\*?\s*([A-Za-z_$][\w$]*)?|(#?[A-Za-z_$][\w$]*))\s*$/.exec(head);
  if (!m) return undefined;
  if (m[2] !== undefined) {
    if (NOT_FUNCTIONS.has(m[2])) return undefined;
    return at(params, m[2], from);
  }
  const assigned = /([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s*)?function\b\s*\*?\s*$/.exec(head)?.[1];
  return at(params, m[1] ?? assigned ?? '<anonymous>', from);
}
