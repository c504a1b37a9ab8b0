/** Colour only where a person reads it: a TTY, and never with NO_COLOR (https://no-color.org). */
import { Chalk, type ChalkInstance } from 'chalk';

export function colorsFor(stream: { isTTY?: boolean } | undefined, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const off = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || (!stream?.isTTY && !forced);
  return new Chalk({ level: off ? 0 : 1 });
}

export const plain: ChalkInstance = new Chalk({ level: 0 });
