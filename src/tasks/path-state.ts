// What a path on a host is, read in one round trip, for the kinds that edit files in place (file,
// lineinfile): its type, mode and owner, a link's target, and for lineinfile its text.
import { shellQuote } from '../template/index.js';
import type { TaskContext } from './kind.js';
import { IO, TaskFailed } from './kind.js';

/** A path as it is on the host. */
export interface PathState {
  type: 'file' | 'directory' | 'link' | 'other';
  /** Permission bits as stat prints them ("644", "1777"). */
  mode: string;
  uid: string;
  gid: string;
  owner: string;
  group: string;
  /** A link's target, as written in the link. */
  target?: string;
}

/** What a task asks a path's attributes to be. */
export interface WantedAttrs {
  mode?: string;
  owner?: string;
  group?: string;
}

const MISSING = 3;

/** The shell that prints a path's stat line (and a link's target); exit 3 when it does not exist. */
function statScript(p: string): string {
  const q = shellQuote(p);
  return [
    `[ -e ${q} ] || [ -L ${q} ] || exit ${MISSING}`,
    `stat --printf '%F\\t%a\\t%u\\t%g\\t%U\\t%G\\n' -- ${q} || exit $?`,
    `if [ -L ${q} ]; then readlink -- ${q}; fi`,
  ].join('\n');
}

function parseStat(line: string, target: string | undefined): PathState {
  const [kind = '', mode = '', uid = '', gid = '', owner = '', group = ''] = line.split('\t');
  const type = kind === 'directory' ? 'directory' : kind === 'symbolic link' ? 'link' : kind.startsWith('regular') ? 'file' : 'other';
  return { type, mode, uid, gid, owner, group, ...(type === 'link' ? { target } : {}) };
}

/** A path's state, or undefined when nothing is there. */
export async function pathState(ctx: TaskContext, p: string): Promise<PathState | undefined> {
  const r = await ctx.conn.run(statScript(p), { timeoutMs: ctx.timeoutMs, become: ctx.become, signal: ctx.signal });
  if (r.rc === MISSING) return undefined;
  if (r.rc !== 0) throw new TaskFailed(`cannot look at ${p}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr }, IO);
  const [line = '', target] = r.stdout.toString().split('\n');
  return parseStat(line, target);
}

/** A path's state and, for a regular file, its bytes, in one round trip. */
export async function fileWithState(ctx: TaskContext, p: string): Promise<{ state: PathState; data?: Buffer } | undefined> {
  const q = shellQuote(p);
  const r = await ctx.conn.run(`${statScript(p)}\nif [ -f ${q} ] && [ ! -L ${q} ]; then exec cat -- ${q}; fi`, { timeoutMs: ctx.timeoutMs, become: ctx.become, signal: ctx.signal });
  if (r.rc === MISSING) return undefined;
  if (r.rc !== 0) throw new TaskFailed(`cannot read ${p}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr }, IO);
  const nl = r.stdout.indexOf('\n');
  const state = parseStat(r.stdout.subarray(0, nl).toString(), undefined);
  return state.type === 'file' ? { state, data: r.stdout.subarray(nl + 1) } : { state };
}

/** Octal mode as stat prints it: "0644" -> "644". */
export function statMode(mode: string): string {
  return Number.parseInt(mode, 8).toString(8);
}

/** The attributes that differ from what is wanted, said for a person ("mode 644 -> 600"); empty when none. */
export function attrChanges(have: PathState, want: WantedAttrs): string[] {
  const out: string[] = [];
  if (want.mode && statMode(want.mode) !== have.mode) out.push(`mode ${have.mode} -> ${statMode(want.mode)}`);
  if (want.owner && want.owner !== have.owner && want.owner !== have.uid) out.push(`owner ${have.owner} -> ${want.owner}`);
  if (want.group && want.group !== have.group && want.group !== have.gid) out.push(`group ${have.group} -> ${want.group}`);
  return out;
}

/** `chown` / `chmod` commands that set the wanted attributes (owner and group of a link itself, with -h). */
export function setAttrsScript(p: string, want: WantedAttrs, link = false): string[] {
  const q = shellQuote(p);
  const owner = want.owner || want.group ? `${want.owner ?? ''}${want.group ? `:${want.group}` : ''}` : undefined;
  return [owner ? `chown ${link ? '-h ' : ''}-- ${shellQuote(owner)} ${q}` : '', want.mode ? `chmod ${shellQuote(want.mode)} ${q}` : ''].filter(Boolean);
}
