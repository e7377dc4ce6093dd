import { shellQuote } from '../template/shell-quote.js';
import type { RunOptions } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The script a task runs: its folder and environment first, then the command. It runs in a
 * process of its own, so none of this reaches the next task.
 */
export function taskScript(command: string, opts: Pick<RunOptions, 'cwd' | 'env'>): string {
  const lines: string[] = [];
  if (opts.cwd) lines.push(`cd -- ${shellQuote(opts.cwd)} || exit 1`);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    // The schema does not restrict env names; the shell does.
    if (!ENV_NAME.test(k)) throw new Error(`"${k}" cannot be an environment variable name`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(command);
  return lines.join('\n');
}
