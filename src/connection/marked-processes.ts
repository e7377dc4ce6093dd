import { shellQuote } from '../template/shell-quote.js';

/**
 * Shell that prints, one per line, the PIDs of every process whose environment holds
 * `variable=value`. A mark in the environment is inherited by every descendant, including those
 * that left their process group or were re-parented, so one grep over /proc/PID/environ finds
 * them all; the shell running this has the mark in its arguments, not its environment. Only
 * processes whose environment this user may read are found: not other users', nor setuid ones such
 * as sudo (see processTreeScript in shell-session.ts).
 */
export function markedPids(variable: string, value: string): string {
  return `grep -l -z -x -F -- ${shellQuote(`${variable}=${value}`)} /proc/[0-9]*/environ 2>/dev/null | sed 's#^/proc/##; s#/environ$##'`;
}
