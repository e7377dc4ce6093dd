import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Copy } from '../config/playbook.generated.js';
import type { Connection } from '../connection/types.js';
import { shellQuote } from '../template/index.js';
import { checkFileWrite } from './file-check.js';
import type { KindDef, OwnUndo, TaskContext, TaskOutcome, UndoAction, UndoContext } from './kind.js';
import { IO, ownUndo, sha256Of, TaskFailed } from './kind.js';

export const copy: KindDef<'copy', Copy, FileUndo> = {
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
  async check(ctx, a) {
    return checkFileWrite(ctx, await copyData(ctx, a), a);
  },
  async execute(ctx, a) {
    if (a.content !== undefined) return putFile(ctx, Buffer.from(a.content), a);
    const local = path.resolve(ctx.baseDir, a.src!);
    let data: Buffer;
    try {
      data = await readFile(local);
    } catch (e) {
      throw new TaskFailed(`cannot read ${local} on the controller: ${(e as Error).message}`, {}, IO);
    }
    return putFile(ctx, data, a, local);
  },
};

async function copyData(ctx: TaskContext, a: Copy): Promise<Buffer> {
  if (a.content !== undefined) return Buffer.from(a.content);
  try {
    return await readFile(path.resolve(ctx.baseDir, a.src!));
  } catch (e) {
    throw new TaskFailed(`cannot read ${a.src} on the controller: ${(e as Error).message}`, {}, IO);
  }
}

/** Arguments of restore_backup, the undo of replacing a file kplay kept a copy of. */
export interface RestoreBackupArgs {
  path: string;
  /** kplay's copy of the file it replaced. */
  backup: string;
  /** The copy's SHA-256. */
  sha256: string;
  /** The SHA-256 of what kplay wrote: anything else at `path` was changed since, by someone else. */
  written: string;
  /** Where a forced undo keeps a file that changed since, instead of losing it. */
  keep: string;
}

/** Arguments of remove_file, the undo of creating a file. */
export interface RemoveFileArgs {
  path: string;
  /** What kplay wrote; anything else is left alone unless forced. */
  sha256: string;
  /** Where a forced undo moves a file that changed since, instead of deleting it. */
  keep: string;
}

/** The undos of kinds that write files (copy, template). */
export type FileUndo = OwnUndo<'restore_backup', RestoreBackupArgs> | OwnUndo<'remove_file', RemoveFileArgs>;

/**
 * The shell that sets aside a file that changed since kplay wrote it: with --force it moves to
 * `keep` (never over an earlier one), else the undo refuses, saying how to force it.
 */
function changedSince(p: string, keep: string, force: boolean, what: string): string {
  const k = shellQuote(keep);
  if (!force) {
    return `echo ${shellQuote(`${p} changed since kplay wrote it (checksum differs); left as it is (kplay rollback --force ${what}, keeping the changed file in ${keep})`)} >&2; exit 9`;
  }
  return `k=${k}; [ ! -e "$k" ] || k="$k.$$"; mv -f -- ${shellQuote(p)} "$k" || exit 8; echo "it had changed since kplay wrote it: kept in $k"`;
}

/**
 * Puts the copy of a replaced file back, if the file is still what kplay wrote (or what it was,
 * when the write never happened, or gone: restoring it then loses nothing).
 */
export const restoreBackup: UndoAction<'restore_backup', RestoreBackupArgs> = {
  kind: 'restore_backup',
  paths: (a) => [a.path],
  script(a, opts) {
    const p = shellQuote(a.path);
    const b = shellQuote(a.backup);
    const tmp = shellQuote(`${a.path}.kplay-restore`);
    return [
      `if [ ! -e ${b} ]; then`,
      `  if [ -e ${p} ] && [ "$(${sha256Of(p)})" = ${shellQuote(a.sha256)} ]; then echo "already restored"; exit 0; fi`,
      `  echo ${shellQuote(`the backup ${a.backup} is missing`)} >&2; exit 6`,
      `fi`,
      `[ "$(${sha256Of(b)})" = ${shellQuote(a.sha256)} ] || { echo ${shellQuote(`the backup ${a.backup} does not match its checksum`)} >&2; exit 7; }`,
      `if [ -e ${p} ] || [ -L ${p} ]; then`,
      `  case "$(${sha256Of(p)} 2>/dev/null)" in ${shellQuote(a.written)}|${shellQuote(a.sha256)}) ;; *) ${changedSince(a.path, a.keep, opts.force, 'restores the old file')} ;; esac`,
      `fi`,
      `cp -p -- ${b} ${tmp} && mv -f -- ${tmp} ${p} && rm -f -- ${b} || exit 8`,
      `echo "restored"`,
    ].join('\n');
  },
};

/** Removes a file kplay created, if it is still what kplay wrote. */
export const removeFile: UndoAction<'remove_file', RemoveFileArgs> = {
  kind: 'remove_file',
  paths: (a) => [a.path],
  script(a, opts) {
    const p = shellQuote(a.path);
    return [
      `[ -e ${p} ] || [ -L ${p} ] || { echo "already absent"; exit 0; }`,
      `if [ "$(${sha256Of(p)} 2>/dev/null)" != ${shellQuote(a.sha256)} ]; then ${changedSince(a.path, a.keep, opts.force, 'removes it')}; exit 0; fi`,
      `rm -f -- ${p} && echo "removed"`,
    ].join('\n');
  },
};

/**
 * The undo of writing `data` to `dest`: a copy of the old file, taken now, to restore; or, when
 * there was none, removing what kplay wrote. Both record the checksum of `data`, so that the undo
 * leaves alone a file someone changed after kplay wrote it.
 */
export async function backupUndo(ctx: UndoContext, dest: string, data: Buffer): Promise<FileUndo> {
  const d = shellQuote(dest);
  const written = createHash('sha256').update(data).digest('hex');
  const dir = await ctx.backupDir();
  const backup = `${dir}/${ctx.change}-${path.basename(dest)}`;
  const keep = `${backup}.changed`;
  const r = await ctx.conn.run(`[ -e ${d} ] || exit 3\ncp -p -- ${d} ${shellQuote(backup)} && ${sha256Of(shellQuote(backup))}`, {
    timeoutMs: ctx.timeoutMs,
    become: ctx.become,
  });
  if (r.rc === 3) return ownUndo(removeFile, ctx, `remove ${dest}`, { path: dest, sha256: written, keep });
  if (r.rc !== 0) throw new TaskFailed(`cannot back up ${dest}: ${r.stderr.toString().trim()}`, {}, IO);
  return ownUndo(restoreBackup, ctx, `restore ${dest}`, { path: dest, backup, sha256: r.stdout.toString().trim(), written, keep });
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
  if (data.length <= INLINE_MAX) return putSmallFile(ctx, data, want, a);
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
      onProgress: data.length > 1 << 20 ? uploadProgress(ctx) : undefined,
    });
  } catch (e) {
    throw new TaskFailed(`cannot write ${a.dest}: ${(e as Error).message}`, {}, IO);
  }
  return { status: 'changed', message: have === want ? 'attributes changed' : `${data.length} bytes written` };
}

/** Files up to this size travel inside the task's script (base64 in an environment variable, whose limit is 128 KiB). */
const INLINE_MAX = 64 * 1024;

/**
 * A small file in one round trip: the host compares checksum and attributes itself, and writes
 * only when they differ (a temporary file beside the destination, then mv), instead of a checksum
 * call, an SFTP upload and a rename, three round trips for a file of a few bytes.
 */
async function putSmallFile(ctx: TaskContext, data: Buffer, want: string, a: { dest: string; mode?: string; owner?: string; group?: string }): Promise<TaskOutcome> {
  const d = shellQuote(a.dest);
  const owner = a.owner || a.group ? `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}` : undefined;
  const attrsOk = [
    a.mode ? `[ "$(stat -c %a -- ${d})" = ${shellQuote(String(Number.parseInt(a.mode, 8).toString(8)))} ]` : '',
    a.owner ? `[ "$(stat -c %U -- ${d})" = ${shellQuote(a.owner)} ]` : '',
    a.group ? `[ "$(stat -c %G -- ${d})" = ${shellQuote(a.group)} ]` : '',
  ].filter(Boolean);
  const script = [
    `same=0; [ -f ${d} ] && [ "$(sha256sum -- ${d} | cut -d' ' -f1)" = ${want} ] && same=1`,
    `if [ $same = 1 ]${attrsOk.map((c) => ` && ${c}`).join('')}; then echo same; exit 0; fi`,
    // Like the large-file path, a missing parent folder is created (an IDE's .vscode, say).
    `mkdir -p -- ${shellQuote(path.posix.dirname(a.dest))} || exit $?`,
    `t=${shellQuote(`${a.dest}.kplay-`)}$$`,
    `{ printf '%s' ${shellQuote(data.toString('base64'))} | base64 -d > "$t"` +
      ` && ${a.mode ? `chmod ${shellQuote(a.mode)} "$t"` : `{ [ -e ${d} ] && chmod --reference=${d} "$t" || chmod 0644 "$t"; }`}` +
      `${owner ? ` && chown -- ${shellQuote(owner)} "$t"` : ''} && mv -f -- "$t" ${d}; } || { rc=$?; rm -f -- "$t"; exit $rc; }`,
    `[ $same = 1 ] && echo attrs || echo written`,
  ].join('\n');
  const r = await ctx.conn.run(script, { timeoutMs: ctx.timeoutMs, become: ctx.become });
  if (r.rc !== 0) throw new TaskFailed(`cannot write ${a.dest}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr }, IO);
  const what = r.stdout.toString().trim();
  if (what === 'same') return { status: 'ok', message: 'already up to date' };
  return { status: 'changed', message: what === 'attrs' ? 'attributes changed' : `${data.length} bytes written` };
}

/** How often an upload reports how far it got. */
const UPLOAD_PROGRESS_MS = 1000;

/**
 * An upload's progress, once a second and at its end. SFTP reports every 32 KiB chunk: passed on
 * as they come, thousands of events would flood a JSON consumer, and a reporter that shows one a
 * second or two would show only the first, "0.0 of 151.5 MiB", until the task ends.
 */
function uploadProgress(ctx: TaskContext, now: () => number = () => performance.now()): (done: number, total: number) => void {
  // The clock starts with the first chunk: setting up the upload (a folder, an SFTP channel) is no progress.
  const state: { last?: number } = {};
  return (done, total) => {
    const t = now();
    state.last ??= t;
    if (done < total && t - state.last < UPLOAD_PROGRESS_MS) return;
    state.last = t;
    ctx.progress(`${mib(done)} of ${mib(total)} MiB`, done, total);
  };
}

function mib(n: number): string {
  return (n / (1 << 20)).toFixed(1);
}
