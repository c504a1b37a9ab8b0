/**
 * Ignore rules, goleak's IgnoreTopFunction / IgnoreAnyFunction for Node resources:
 *
 *   TTYWRAP                       by resource type (a glob: `FS*`)
 *   Timeout@node_modules/pino/**  by type and a glob over the creation stack's files (`*@…` for any type)
 *   fn:startPolling               by top function: the innermost frame outside Node's internals
 *   anyfn:Pool.connect            by any function in the creation stack
 *
 * Globs match paths as reports print them: relative to the working directory.
 */
import type { FrameReport, GroupReport } from '../report/schema.js';
import { matchesGlob } from '../util/glob.js';

export type IgnoreRule =
  | { kind: 'type'; text: string; type: string }
  | { kind: 'frame'; text: string; type: string; file: string }
  | { kind: 'topFunction'; text: string; fn: string }
  | { kind: 'anyFunction'; text: string; fn: string };

export class RuleError extends Error {}

/** `name` is what messages call the rule: the flag, or `rule` for one from a config file (whose key the caller names). */
export function parseIgnoreRule(text: string, name = '--ignore'): IgnoreRule {
  const rule = text.trim();
  if (rule === '') throw new RuleError(`an empty ${name}: give a type (TTYWRAP), Type@glob (Timeout@node_modules/pino/**) or fn:name`);
  const nonEmpty = (part: string): string => {
    if (part === '') throw new RuleError(`${name} "${rule}" is incomplete: use TYPE, TYPE@glob, fn:name or anyfn:name`);
    return part;
  };
  if (rule.startsWith('fn:')) return { kind: 'topFunction', text: rule, fn: nonEmpty(rule.slice(3)) };
  if (rule.startsWith('anyfn:')) return { kind: 'anyFunction', text: rule, fn: nonEmpty(rule.slice(6)) };
  const at = rule.indexOf('@');
  if (at >= 0) return { kind: 'frame', text: rule, type: nonEmpty(rule.slice(0, at)), file: nonEmpty(rule.slice(at + 1)) };
  return { kind: 'type', text: rule, type: rule };
}

/** Every frame that says where a group came from: its own stack, then its created-by stack. */
function framesOf(group: GroupReport): FrameReport[] {
  return [...(group.frames ?? []), ...(group.createdBy?.frames ?? [])];
}

export function matchesRule(group: GroupReport, rule: IgnoreRule): boolean {
  switch (rule.kind) {
    case 'type':
      return matchesGlob(group.type, rule.type) || group.label === rule.type;
    case 'frame':
      return (rule.type === '*' || matchesGlob(group.type, rule.type)) && framesOf(group).some((f) => matchesGlob(f.file, rule.file));
    case 'topFunction': {
      const top = (group.frames ?? []).find((f) => f.kind !== 'node' && f.kind !== 'leakprof') ?? group.createdBy?.top ?? null;
      return top !== null && matchesGlob(top.function, rule.fn);
    }
    case 'anyFunction':
      return framesOf(group).some((f) => matchesGlob(f.function, rule.fn));
  }
}

/** The first rule that matches, if any. */
export function ignoredBy(group: GroupReport, rules: readonly IgnoreRule[]): IgnoreRule | undefined {
  return rules.find((rule) => matchesRule(group, rule));
}
