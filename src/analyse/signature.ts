/**
 * A wire sample's group, before the report is built: the identity of ../transport/group-identity.ts
 * read off the wire's frames (classified here, paths not yet made relative to the working
 * directory, which changes no group). Growth's series key by it; the report keys its groups by
 * the same identity read off the groups it built, so both split samples alike.
 */
import type { WireFrame, WireSample } from '../transport/messages.js';
import { groupKey, identityOf, type IdentityFrame } from '../transport/group-identity.js';
import { frameKind, toPath } from './frames.js';

export function sampleSignature(profile: string, sample: WireSample, stacks: Record<string, WireFrame[]>): string {
  const frames = sample.stack >= 0 ? stacks[sample.stack] : undefined;
  const by = sample.createdBy >= 0 ? stacks[sample.createdBy] : undefined;
  return groupKey(
    identityOf(profile, {
      type: sample.type,
      label: sample.label,
      state: sample.state,
      frames: frames ? identityFrames(frames) : null,
      createdBy: by ? { frames: identityFrames(by) } : undefined,
      test: sample.test,
    }),
  );
}

function identityFrames(frames: WireFrame[]): IdentityFrame[] {
  return frames.map((f) => ({ file: toPath(f.file), line: f.line, column: f.col, kind: frameKind(f.file) }));
}
