/**
 * What makes two samples one group in a report: the frames a person sees. Samples whose
 * stacks differ only in Node's or a library's frames (a timer callback run from
 * `listOnTimeout` or from `processTimers`) read the same, so they are counted together,
 * and the same key follows a group from one snapshot to the next.
 */
import type { WireFrame, WireSample } from '../transport/messages.js';
import { frameKind } from './frames.js';

export function sampleSignature(sample: WireSample, stacks: Record<string, WireFrame[]>): string {
  return [
    sample.type,
    sample.label,
    sample.state,
    visibleFrames(stacks[sample.stack]),
    topUser(stacks[sample.createdBy]),
  ].join('\u0000');
}

function where(f: WireFrame): string {
  return `${f.file}:${f.line}:${f.col}${f.async ? 'a' : ''}`;
}

function visibleFrames(frames: WireFrame[] | undefined): string {
  if (frames === undefined) return '-';
  const user = frames.filter((f) => frameKind(f.file) === 'user');
  return (user.length > 0 ? user : frames).map(where).join('|');
}

function topUser(frames: WireFrame[] | undefined): string {
  const top = frames?.find((f) => frameKind(f.file) === 'user');
  return top ? where(top) : '-';
}
