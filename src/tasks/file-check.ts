// `kplay run --check` for the kinds that write a whole file (copy, template): what the write would
// do, found by looking at the host's file only. The comparison is the one the write makes (content
// by SHA-256, then mode, owner and group), so --check says "changed" exactly where a run would.
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { shellQuote } from '../template/index.js';
import type { CheckOutcome, FileDiff, TaskContext } from './kind.js';
import { IO, TaskFailed } from './kind.js';

/** Where a file goes and the attributes asked for it (the arguments of copy and template). */
export interface FileWrite {
  dest: string;
  mode?: string;
  owner?: string;
  group?: string;
}

/** A file on the host as --check finds it (following a link, as the write's checks do). */
export interface HostFile {
  /** "regular file", "directory", ... as stat names it. */
  type: string;
  size: number;
  /** Octal, without leading zeros, as `stat -c %a` prints it. */
  mode: string;
  owner: string;
  group: string;
  /** Of a regular file only. */
  sha256?: string;
}

/** Larger files are compared by checksum only: a diff of them would be read by nobody. */
export const DIFF_MAX_BYTES = 1 << 20;

/** The host's file in one round trip; undefined when there is none. */
export async function hostFile(ctx: TaskContext, dest: string): Promise<HostFile | undefined> {
  const d = shellQuote(dest);
  const script = [`[ -e ${d} ] || { echo absent; exit 0; }`, `stat -L -c '%F|%s|%a|%U|%G' -- ${d} || exit 1`, `[ ! -f ${d} ] || sha256sum -- ${d} | cut -d' ' -f1`].join('\n');
  const r = await ctx.conn.run(script, { timeoutMs: ctx.timeoutMs, become: ctx.become });
  if (r.rc !== 0) throw new TaskFailed(`cannot look at ${dest}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr }, IO);
  const [head = '', sum] = r.stdout.toString().trim().split('\n');
  if (head === 'absent') return undefined;
  const [type = '', size = '0', mode = '', owner = '', group = ''] = head.split('|');
  return { type, size: Number(size), mode, owner, group, ...(sum ? { sha256: sum } : {}) };
}

/** "mode 644 -> 600", "owner root -> app": each attribute the write would change. */
export function attributeChanges(have: HostFile | undefined, a: FileWrite): string[] {
  const changes: string[] = [];
  const mode = a.mode ? Number.parseInt(a.mode, 8).toString(8) : undefined;
  if (mode && have?.mode !== mode) changes.push(`mode ${have ? have.mode : '(none)'} -> ${mode}`);
  if (a.owner && have?.owner !== a.owner) changes.push(`owner ${have ? have.owner : '(none)'} -> ${a.owner}`);
  if (a.group && have?.group !== a.group) changes.push(`group ${have ? have.group : '(none)'} -> ${a.group}`);
  return changes;
}

/**
 * What writing `data` to `a.dest` would do, with the file's content before and after for --diff
 * (binary content or a file larger than DIFF_MAX_BYTES gets a note instead). Nothing is changed.
 */
export async function checkFileWrite(ctx: TaskContext, data: Buffer, a: FileWrite): Promise<CheckOutcome> {
  const have = await hostFile(ctx, a.dest);
  const attrs = attributeChanges(have, a);
  const same = have?.sha256 === createHash('sha256').update(data).digest('hex');
  if (same && !attrs.length) return { status: 'ok', message: 'already up to date' };
  if (same) return { status: 'changed', message: `would change ${attrs.join(', ')} of ${a.dest}`, diffs: [{ path: a.dest, before: '', after: '', note: attrs.join(', ') }] };
  const diff = await contentDiff(ctx, a.dest, have, data);
  const what = have ? `would write ${a.dest} (${data.length} bytes, was ${have.size})` : `would create ${a.dest} (${data.length} bytes)`;
  return { status: 'changed', message: attrs.length ? `${what}; ${attrs.join(', ')}` : what, diffs: [diff] };
}

/** The file's content before and after, or a note when it cannot be shown as text. */
async function contentDiff(ctx: TaskContext, dest: string, have: HostFile | undefined, data: Buffer): Promise<FileDiff> {
  const sizes = `${have ? `${have.size} bytes` : 'absent'} -> ${data.length} bytes`;
  if (have && have.type !== 'regular file') return { path: dest, before: '', after: '', note: `the ${have.type} there would be replaced by a file of ${data.length} bytes` };
  if ((have?.size ?? 0) > DIFF_MAX_BYTES || data.length > DIFF_MAX_BYTES) return { path: dest, before: have ? '' : null, after: '', note: `${sizes}, too large to show a diff` };
  const before = have ? await readHostFile(ctx, dest) : null;
  if ((before && !isText(before)) || !isText(data)) return { path: dest, before: have ? '' : null, after: '', note: `binary content, ${sizes} (no diff shown)` };
  return { path: dest, before: before === null ? null : before.toString('utf8'), after: data.toString('utf8') };
}

/** Text a diff can show: UTF-8 without NUL bytes. */
function isText(b: Buffer): boolean {
  return !b.includes(0) && isUtf8(b);
}

async function readHostFile(ctx: TaskContext, dest: string): Promise<Buffer | null> {
  try {
    return (await ctx.conn.readFile(dest, { become: ctx.become })) ?? null;
  } catch (e) {
    // A dropped connection is the host's being unreachable, not a file kplay could not read.
    if (ctx.conn.lost) throw e;
    throw new TaskFailed(`cannot read ${dest}: ${(e as Error).message}`, {}, IO);
  }
}
