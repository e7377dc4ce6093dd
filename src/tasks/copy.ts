import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Copy } from '../config/playbook.generated.js';
import type { Connection } from '../connection/types.js';
import { shellQuote } from '../template/index.js';
import type { UndoSpec } from '../journal/undo-spec.js';
import type { KindDef, TaskContext, TaskOutcome, UndoContext } from './kind.js';
import { TaskFailed } from './kind.js';

export const copy: KindDef<'copy', Copy> = {
  kind: 'copy',
  changes: true,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview(a) {
    const from = a.src !== undefined ? a.src : `${Buffer.byteLength(a.content ?? '')} bytes of inline content`;
    return [`copy ${from} -> ${a.dest}${fileAttrs(a)}${a.backup ? ', keeping a backup' : ''}`];
  },
  async prepareUndo(ctx, a) {
    return a.backup ? backupUndo(ctx, a.dest, await copyData(ctx, a)) : undefined;
  },
  async execute(ctx, a) {
    if (a.content !== undefined) return putFile(ctx, Buffer.from(a.content), a);
    const local = path.resolve(ctx.baseDir, a.src!);
    let data: Buffer;
    try {
      data = await readFile(local);
    } catch (e) {
      throw new TaskFailed(`cannot read ${local} on the controller: ${(e as Error).message}`);
    }
    return putFile(ctx, data, a, local);
  },
};

async function copyData(ctx: TaskContext, a: Copy): Promise<Buffer> {
  if (a.content !== undefined) return Buffer.from(a.content);
  try {
    return await readFile(path.resolve(ctx.baseDir, a.src!));
  } catch (e) {
    throw new TaskFailed(`cannot read ${a.src} on the controller: ${(e as Error).message}`);
  }
}

/**
 * The undo of writing `data` to `dest`: a copy of the old file, taken now, to restore; or, when
 * there was none, removing what kplay wrote (only if it is still what kplay wrote).
 */
export async function backupUndo(ctx: UndoContext, dest: string, data: Buffer): Promise<UndoSpec> {
  const d = shellQuote(dest);
  const base = { become: ctx.become, local: false, timeoutMs: ctx.timeoutMs, userWritten: false };
  const dir = await ctx.backupDir();
  const backup = `${dir}/${ctx.change}-${path.basename(dest)}`;
  const r = await ctx.conn.run(`[ -e ${d} ] || exit 3\ncp -p -- ${d} ${shellQuote(backup)} && sha256sum -- ${shellQuote(backup)} | cut -d' ' -f1`, {
    timeoutMs: ctx.timeoutMs,
    become: ctx.become,
  });
  if (r.rc === 3) {
    return { ...base, name: `remove ${dest}`, kind: 'remove_file', args: { path: dest, sha256: createHash('sha256').update(data).digest('hex') } };
  }
  if (r.rc !== 0) throw new TaskFailed(`cannot back up ${dest}: ${r.stderr.toString().trim()}`);
  return { ...base, name: `restore ${dest}`, kind: 'restore_backup', args: { path: dest, backup, sha256: r.stdout.toString().trim() } };
}

/** ", mode 0644, owner root:root" for previews of kinds that write files. */
export function fileAttrs(a: { mode?: string; owner?: string; group?: string }): string {
  const parts: string[] = [];
  if (a.mode) parts.push(`mode ${a.mode}`);
  if (a.owner || a.group) parts.push(`owner ${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Mode bits, owner and group of a remote file, or undefined when it does not exist. */
async function remoteAttrs(conn: Connection, p: string, become: boolean): Promise<{ mode: number; owner: string; group: string } | undefined> {
  const r = await conn.run(`stat -c '%a %U %G' -- ${shellQuote(p)}`, { timeoutMs: 30_000, become });
  if (r.rc !== 0) return undefined;
  const [mode = '', owner = '', group = ''] = r.stdout.toString().trim().split(' ');
  return { mode: Number.parseInt(mode, 8), owner, group };
}

function attrsMatch(have: { mode: number; owner: string; group: string } | undefined, a: { mode?: string; owner?: string; group?: string }): boolean {
  if (!a.mode && !a.owner && !a.group) return true;
  if (!have) return false;
  return (!a.mode || have.mode === Number.parseInt(a.mode, 8)) && (!a.owner || have.owner === a.owner) && (!a.group || have.group === a.group);
}

/**
 * Writes bytes to a destination unless it already holds them (and the mode asked for): compare
 * checksums first, so an unchanged file costs one round trip instead of an upload.
 */
export async function putFile(
  ctx: TaskContext,
  data: Buffer,
  a: { dest: string; mode?: string; owner?: string; group?: string },
  localPath?: string,
): Promise<TaskOutcome> {
  const want = createHash('sha256').update(data).digest('hex');
  const have = await ctx.conn.sha256(a.dest, { become: ctx.become });
  const attrsOk = have === undefined || attrsMatch(await remoteAttrs(ctx.conn, a.dest, ctx.become), a);
  if (have === want && attrsOk) return { status: 'ok', message: 'already up to date' };
  try {
    await ctx.conn.writeFile(a.dest, localPath && data.length > 1 << 20 ? { localPath } : data, {
      mode: a.mode,
      owner: a.owner,
      group: a.group,
      become: ctx.become,
      // Progress only where there is something to watch.
      onProgress: data.length > 1 << 20 ? (done, total) => ctx.progress(`${mib(done)} of ${mib(total)} MiB`, done, total) : undefined,
    });
  } catch (e) {
    throw new TaskFailed(`cannot write ${a.dest}: ${(e as Error).message}`);
  }
  return { status: 'changed', message: have === want ? 'attributes changed' : `${data.length} bytes written` };
}

function mib(n: number): string {
  return (n / (1 << 20)).toFixed(1);
}
