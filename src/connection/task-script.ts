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
  // The schema does not restrict env names; the shell does.
  const bad = Object.keys(opts.env ?? {}).find((k) => !ENV_NAME.test(k));
  if (bad !== undefined) throw new Error(`"${bad}" cannot be an environment variable name`);
  lines.push(...envExports(opts.env), command);
  return lines.join('\n');
}

/**
 * The lines that give a task its environment: exported, so that every command of the task sees
 * them (not only the first, as `A=1 first && second` would). The dry run shows these very lines.
 */
export function envExports(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
}
