/**
 * The legacy binary CPU profile (gperftools' profilez, what Go wrote before 1.9 and Java agents
 * still write): a header of five words, then `count, depth, pc…` records, an end marker, and
 * /proc/self/maps text (C++) or `0xADDR function (file:line)` lines (Java). `go tool pprof`
 * still reads it, so leakprof does too; the format is documented in google/pprof's
 * profile/legacy_profile.go, which this follows in behaviour (frame clean-up, mappings).
 */
import { ProfileFormatError, type PprofData, type PprofFrame, type PprofSample } from './pprof-model.js';

type WordReader = (buf: Buffer, at: number) => bigint;

// Word size and byte order are not recorded: try each, as pprof does, and keep the one whose header reads right.
const WORDS: Array<{ size: number; read: WordReader }> = [
  { size: 4, read: (b, at) => BigInt(b.readUInt32LE(at)) },
  { size: 4, read: (b, at) => BigInt(b.readUInt32BE(at)) },
  { size: 8, read: (b, at) => b.readBigUInt64LE(at) },
  { size: 8, read: (b, at) => b.readBigUInt64BE(at) },
];

interface Mapping {
  start: bigint;
  limit: bigint;
  offset: bigint;
  file: string;
}

interface RawSample {
  count: bigint;
  addrs: bigint[];
}

/** True when `buf` starts like a legacy CPU profile. */
export function isLegacyCpuProfile(buf: Buffer): boolean {
  return headerOf(buf) !== undefined;
}

function headerOf(buf: Buffer): { word: (typeof WORDS)[number]; java: boolean; period: bigint } | undefined {
  for (const word of WORDS) {
    if (buf.length < word.size * 5) continue;
    const h = [0, 1, 2, 3, 4].map((i) => word.read(buf, i * word.size));
    if (h[0] === 0n && h[1] === 3n && (h[2] === 0n || h[2] === 1n) && h[3]! > 0n && h[4] === 0n) {
      return { word, java: h[2] === 1n, period: h[3]! };
    }
  }
  return undefined;
}

export function parseLegacyCpuProfile(buf: Buffer): PprofData {
  const header = headerOf(buf);
  if (!header) throw new ProfileFormatError('not a legacy CPU profile');
  const { word, java } = header;
  const periodNanos = Number(header.period) * 1000;
  let at = word.size * 5;
  const samples: RawSample[] = [];
  // Addresses after the leaf are return addresses; C++ profiles step back one byte onto the call (Java's are ids).
  const adjust = !java;
  while (at < buf.length) {
    if (at + 2 * word.size > buf.length) throw new ProfileFormatError('legacy CPU profile: truncated sample');
    const count = word.read(buf, at);
    const depth = word.read(buf, at + word.size);
    at += 2 * word.size;
    if (depth > BigInt(Math.floor((buf.length - at) / 4))) throw new ProfileFormatError('legacy CPU profile: stack deeper than the file');
    const addrs: bigint[] = [];
    for (let i = 0; i < Number(depth); i++) {
      if (at + word.size > buf.length) throw new ProfileFormatError('legacy CPU profile: truncated stack');
      const addr = word.read(buf, at);
      at += word.size;
      addrs.push(adjust && i > 0 ? addr - 1n : addr);
    }
    if (count === 0n && depth === 1n && addrs[0] === 0n) break;
    samples.push({ count, addrs });
  }
  const tail = buf.subarray(at).toString('latin1');

  let frameOf: (addr: bigint) => PprofFrame;
  let mainFile = '';
  if (java) {
    frameOf = javaFrames(tail);
  } else {
    stripSignalFrames(samples);
    const mappings = parseMaps(tail);
    mainFile = mappings[0]?.file ?? '';
    frameOf = (addr) => ({ name: '', file: '', line: 0, column: 0, objfile: mappingFor(mappings, addr)?.file ?? '', address: addr.toString(16) });
    // The handler may record the leaf twice: from the signal context and, adjusted by -1, from unwinding.
    for (const s of samples) if (s.addrs.length > 1 && s.addrs[0] === s.addrs[1]! + 1n) s.addrs.splice(1, 1);
  }
  const frames = new Map<bigint, PprofFrame>();
  const out: PprofSample[] = samples.map((s) => ({
    values: [Number(s.count), Number(s.count) * periodNanos],
    frames: s.addrs.map((a) => {
      let f = frames.get(a);
      if (!f) frames.set(a, (f = frameOf(a)));
      return f;
    }),
    labels: {},
    numLabels: {},
  }));
  return {
    sampleTypes: [
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ],
    samples: out,
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: periodNanos,
    timeNanos: 0,
    durationNanos: 0,
    comments: [],
    mainFile,
    buildId: '',
  };
}

/** If (nearly) every sample has the same second frame, it is the signal handler's: drop it (up to twice). */
function stripSignalFrames(samples: RawSample[]): void {
  const margin = Math.floor(samples.length / 32);
  for (let iter = 0; iter < 2; iter++) {
    const counts = new Map<bigint, number>();
    for (const s of samples) if (s.addrs.length > 1) counts.set(s.addrs[1]!, (counts.get(s.addrs[1]!) ?? 0) + 1);
    for (const [addr, count] of counts) {
      if (count >= samples.length - margin) {
        for (const s of samples) if (s.addrs.length > 1 && s.addrs[1] === addr) s.addrs.splice(1, 1);
        break;
      }
    }
  }
}

const HEX = '(?:0x)?([0-9a-fA-F]+)';
const RANGE = `^\\s*${HEX}[\\s-]?\\s*${HEX}:?`;
const PERM = '(?:\\s+([-rwxp]+))?';
const PROC_MAPS = new RegExp(`${RANGE}${PERM}(?:\\s+([0-9a-fA-F]+))?\\s+[0-9a-fA-F]+:[0-9a-fA-F]+\\s+\\d+(?:\\s+(\\S+))?`);
const BRIEF_MAPS = new RegExp(`${RANGE}${PERM}(?:\\s+(\\S+))?(?:\\s+\\(@([0-9a-fA-F]+)\\))?`);
const LIBRARY = /([.]so$|[.]so[._][0-9]+)/;

/** The executable mappings of /proc/self/maps text, adjacent pieces of one file merged, the main binary first. */
function parseMaps(text: string): Mapping[] {
  const found: Mapping[] = [];
  for (const line of text.split('\n')) {
    let start: string, end: string, perm: string | undefined, offset: string | undefined, file: string | undefined;
    let m = PROC_MAPS.exec(line);
    if (m) [, start, end, perm, offset, file] = m as unknown as string[];
    else if ((m = BRIEF_MAPS.exec(line))) [, start, end, perm, file, offset] = m as unknown as string[];
    else continue;
    if (perm && !perm.includes('x')) continue;
    found.push({ start: BigInt(`0x${start!}`), limit: BigInt(`0x${end!}`), offset: offset ? BigInt(`0x${offset}`) : 0n, file: file ?? '' });
  }
  const merged: Mapping[] = [];
  for (const m of found) {
    const last = merged[merged.length - 1];
    if (last && last.limit === m.start && (!last.file || !m.file || last.file === m.file)) {
      last.limit = m.limit;
      if (m.file) last.file = m.file;
    } else merged.push(m);
  }
  const main = merged.findIndex((m) => m.file && !LIBRARY.test(m.file) && !m.file.startsWith('['));
  if (main > 0) [merged[0], merged[main]] = [merged[main]!, merged[0]!];
  return merged;
}

function mappingFor(mappings: Mapping[], addr: bigint): Mapping | undefined {
  if (addr === 0n) return undefined;
  const inside = mappings.find((m) => m.start <= addr && addr < m.limit);
  if (inside) return inside;
  // Some handlers leave out the first piece of a split mapping: its offset says where it began.
  return mappings.find((m) => m.offset !== 0n && m.start - m.offset <= addr && addr < m.start);
}

const JAVA_LOCATION = /^\s*0x([0-9a-fA-F]+)\s+(.*?)\s*$/;
const JAVA_FILE_LINE = /^(.*)\s+\((.+):(-?\d+)\)$/;
const JAVA_PATH = /^(.*)\s+\((.*)\)$/;

/** Java agents append `0xID function (File.java:line)` lines: the symbols for the ids in the stacks. */
function javaFrames(text: string): (addr: bigint) => PprofFrame {
  const symbols = new Map<bigint, PprofFrame>();
  for (const line of text.split('\n')) {
    const m = JAVA_LOCATION.exec(line.trim());
    if (!m) continue;
    const desc = m[2]!;
    let name = desc;
    let file = '';
    let lineNo = 0;
    const fl = JAVA_FILE_LINE.exec(desc);
    const path = fl ? null : JAVA_PATH.exec(desc);
    if (fl) {
      name = fl[1]!;
      file = fl[2]!;
      lineNo = Math.max(0, Number(fl[3]));
    } else if (path) {
      name = path[1]!;
      file = path[2]!.split('/').pop()!;
    } else if (desc.includes('generated stub/JIT')) name = 'STUB';
    symbols.set(BigInt(`0x${m[1]!}`), { name, file, line: lineNo, column: 0, objfile: '' });
  }
  // Java stacks are merged by function, not by id (pprof strips the ids).
  return (addr) => symbols.get(addr) ?? { name: '', file: '', line: 0, column: 0, objfile: '' };
}
