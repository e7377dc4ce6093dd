/**
 * /proc helpers shared by the test fixtures that start long-lived processes (the SSH lab, the
 * stand-in cluster): is a process alive, and does an "owner" file still name a live process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Parsed /proc/PID/stat fields from the state on (index 0 = state, 1 = ppid, 19 = starttime). */
export function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; it ends at the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function procStartTime(pid: number): string {
  return procStat(pid)?.[19] ?? '?';
}

export function alive(pid: number): boolean {
  const s = procStat(pid);
  return s !== undefined && s[0] !== 'Z' && s[0] !== 'X';
}

/** The line an owner file holds: this process's pid and start time (a reused pid has another). */
export function ownerLine(): string {
  return `${process.pid} ${procStartTime(process.pid)}\n`;
}

/**
 * Whether the owner file names a process that is still running: true or false, or undefined when
 * the file cannot be read (being written right now, or not there).
 */
export function ownerAlive(file: string): boolean | undefined {
  let owner: string[];
  try {
    owner = readFileSync(file, 'utf8').trim().split(' ');
  } catch {
    return undefined;
  }
  const pid = Number(owner[0]);
  return alive(pid) && procStartTime(pid) === owner[1];
}

/**
 * The processes whose command line holds `pattern`, as `pgrep -a -f` lists them ("" for none).
 * pgrep runs directly, not through a shell whose own command line would hold the pattern too.
 */
export function processesMatching(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-a', '-f', '--', pattern], { encoding: 'utf8' }).trim();
  } catch (e) {
    if ((e as { status?: number }).status === 1) return '';
    throw e;
  }
}
