/**
 * The time zone's abbreviation as Go prints it (`JST`, `CET`, `+03`): from the tz database file
 * of the local zone (TZ, else /etc/localtime), where ICU's short names say `GMT+9` for most
 * zones outside the US. Undefined when the file cannot be read; callers fall back to ICU.
 */
import { readFileSync } from 'node:fs';

const cache = new Map<string, Zone | null>();

interface Zone {
  /** Transition times (seconds) and the type in force from each. */
  times: number[];
  types: number[];
  infos: Array<{ offset: number; abbr: string }>;
  /** The POSIX TZ rule for after the last transition (`JST-9`, `CET-1CEST,M3.5.0,M10.5.0/3`). */
  footer: string;
}

export function zoneAbbreviation(date: Date, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const tz = env.TZ;
  if (tz === '') return 'UTC';
  const name = tz === undefined ? '/etc/localtime' : tz.startsWith(':') ? tz.slice(1) : tz;
  const file = name.startsWith('/') ? name : `/usr/share/zoneinfo/${name}`;
  let zone = cache.get(file);
  if (zone === undefined) {
    zone = readZone(file);
    cache.set(file, zone);
  }
  // Its offset must be the one the Date has, else the file is not the zone Node uses.
  const offset = -date.getTimezoneOffset() * 60;
  const fromRule = (rule: string): string | undefined => {
    const m = /^(<[^>]+>|[A-Za-z]{3,})([-+]?\d{1,2}(?::\d{2}){0,2})(<[^>]+>|[A-Za-z]{3,})?/.exec(rule);
    if (!m) return undefined;
    const [h = '0', mm = '0', ss = '0'] = m[2]!.replace(/^[-+]/, '').split(':');
    const std = -(m[2]!.startsWith('-') ? -1 : 1) * (Number(h) * 3600 + Number(mm) * 60 + Number(ss));
    const strip = (s: string) => s.replace(/^<|>$/g, '');
    if (offset === std) return strip(m[1]!);
    return m[3] !== undefined ? strip(m[3]) : undefined;
  };
  if (zone === null) return tz !== undefined ? fromRule(tz) : undefined;
  const t = Math.floor(date.getTime() / 1000);
  let i = zone.times.length - 1;
  while (i >= 0 && zone.times[i]! > t) i--;
  if (i === zone.times.length - 1 && zone.footer) return fromRule(zone.footer);
  const info = zone.infos[i >= 0 ? zone.types[i]! : 0];
  return info && info.offset === offset ? info.abbr : undefined;
}

function readZone(file: string): Zone | null {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return null;
  }
  try {
    if (buf.toString('latin1', 0, 4) !== 'TZif') return null;
    const counts = (at: number) => [0, 1, 2, 3, 4, 5].map((k) => buf.readUInt32BE(at + 20 + k * 4)) as [number, number, number, number, number, number];
    let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
    let at = 44;
    let size = 4;
    if (buf[4]! >= 0x32) {
      // Version 2+: skip the 32-bit block; the 64-bit one follows with its own header.
      at += timecnt * 4 + timecnt + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
      [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at);
      at += 44;
      size = 8;
    }
    const times: number[] = [];
    for (let k = 0; k < timecnt; k++) times.push(size === 8 ? Number(buf.readBigInt64BE(at + k * 8)) : buf.readInt32BE(at + k * 4));
    at += timecnt * size;
    const types = [...buf.subarray(at, at + timecnt)];
    at += timecnt;
    const raw = [];
    for (let k = 0; k < typecnt; k++) raw.push({ offset: buf.readInt32BE(at + k * 6), abbrAt: buf[at + k * 6 + 5]! });
    at += typecnt * 6;
    const chars = buf.subarray(at, at + charcnt);
    at += charcnt + leap * (size + 4) + isstd + isut;
    const infos = raw.map((r) => ({ offset: r.offset, abbr: chars.toString('latin1', r.abbrAt, chars.indexOf(0, r.abbrAt)) }));
    const tail = buf.toString('latin1', at).split('\n');
    return { times, types, infos, footer: size === 8 ? (tail[1] ?? '') : '' };
  } catch {
    return null;
  }
}
