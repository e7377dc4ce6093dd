// `file`: a path made a folder, an empty file, a link or absent, with a mode and owner (Ansible's
// file module). What the task does is decided in one place (decide), from the path as it is, so
// that --check, the undo's preparation and the run agree. Each change has its own undo, beside
// it: a created folder is removed while still empty, a removed path waits in the run's backup
// folder and is moved back, changed attributes and link targets are set back; each undo looks
// first and refuses (unless forced) where the path changed since kplay changed it.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { File } from '../config/playbook.generated.js';
import { shellQuote } from '../template/index.js';
import { fileAttrs, removeFile } from './copy.js';
import type { RemoveFileArgs } from './copy.js';
import type { CheckOutcome, KindDef, OwnUndo, TaskContext, TaskOutcome, UndoAction, UndoContext } from './kind.js';
import { IO, ownUndo, sha256Of, TaskFailed } from './kind.js';
import { existsTest, moveBack } from './move.js';
import type { MoveBackArgs } from './move.js';
import type { PathState, WantedAttrs } from './path-state.js';
import { attrChanges, pathState, setAttrsScript, statMode } from './path-state.js';

/** What the task will do, decided from the path as it is. */
export type FileAction =
  | { do: 'none'; message: string }
  | { do: 'attrs'; changes: string[]; link: boolean }
  | { do: 'mkdir' }
  | { do: 'create' }
  | { do: 'touch'; changes: string[] }
  | { do: 'link'; previous?: string; changes: string[] }
  | { do: 'remove'; type: PathState['type'] };

/** Decides what a file task does to a path in a given state; a refusal is thrown as a task failure. */
export function decide(have: PathState | undefined, a: File): FileAction {
  const state = a.state ?? 'file';
  const p = a.path;
  if (state === 'absent') return have ? { do: 'remove', type: have.type } : { do: 'none', message: 'already absent' };
  if (state === 'link') return decideLink(have, a);
  if (have?.type === 'link') throw new TaskFailed(`${p} is a symbolic link (to ${have.target}); kplay does not follow it: name the target itself, or use state: link`);
  const changes = have ? attrChanges(have, a) : [];
  if (state === 'touch') return have ? { do: 'touch', changes } : { do: 'create' };
  if (state === 'directory') {
    if (!have) return { do: 'mkdir' };
    if (have.type !== 'directory') throw new TaskFailed(`${p} exists and is not a folder (a ${have.type === 'file' ? 'file' : 'special file'}); kplay does not replace it`);
  } else {
    if (!have) throw new TaskFailed(`${p} does not exist (state: file changes only what exists; state: touch creates an empty file)`);
    if (have.type === 'directory') throw new TaskFailed(`${p} is a folder, not a file (state: directory)`);
  }
  return changes.length ? { do: 'attrs', changes, link: false } : { do: 'none', message: 'already as wanted' };
}

function decideLink(have: PathState | undefined, a: File): FileAction {
  if (a.src === undefined) throw new TaskFailed('state: link needs src, the target the link points to');
  if (a.mode) throw new TaskFailed('mode does not apply to a symbolic link (Linux links have no mode of their own); set the target\'s mode in a task of its own');
  if (!have) return { do: 'link', changes: [] };
  if (have.type !== 'link') throw new TaskFailed(`${a.path} exists and is not a link; kplay does not replace it (move it aside first: a move task, or file with state: absent)`);
  const changes = attrChanges(have, a);
  if (have.target !== a.src) return { do: 'link', previous: have.target, changes };
  return changes.length ? { do: 'attrs', changes, link: true } : { do: 'none', message: `already a link to ${a.src}` };
}

/** Arguments of restore_attrs, the undo of a mode, owner or time change. */
export interface RestoreAttrsArgs {
  path: string;
  /** What it was: mode as stat prints it, numeric owner and group. */
  mode: string;
  uid: string;
  gid: string;
  /** What kplay set: anything else found there was changed since by someone else. */
  set: WantedAttrs;
  link: boolean;
  /** A file in the backup folder holding the old access and change times (state: touch). */
  times?: string;
}

/** Arguments of remove_dirs, the undo of creating folders. */
export interface RemoveDirsArgs {
  /** The folders kplay created, deepest first. */
  created: string[];
  /** Where a forced undo moves a folder that is no longer empty. */
  keep: string;
}

/** Arguments of restore_link, the undo of making or changing a link. */
export interface RestoreLinkArgs {
  path: string;
  /** The target kplay wrote. */
  target: string;
  /** The target it had before; none when kplay created the link. */
  previous?: string;
  keep: string;
}

/** The undos of the file kind. */
export type FileKindUndo =
  | OwnUndo<'restore_attrs', RestoreAttrsArgs>
  | OwnUndo<'remove_dirs', RemoveDirsArgs>
  | OwnUndo<'restore_link', RestoreLinkArgs>
  | OwnUndo<'move_back', MoveBackArgs>
  | OwnUndo<'remove_file', RemoveFileArgs>;

/** The shell refusal of an undo whose path changed since kplay changed it; forced, `forced` runs instead. */
function refuseUnlessForced(force: boolean, message: string, forced: string): string {
  return force ? forced : `echo ${shellQuote(`${message} (kplay rollback --force undoes it anyway)`)} >&2; exit 9`;
}

/** Whether the path's current mode and owner are still what kplay set, in shell. */
function stillAsSet(p: string, set: WantedAttrs): string {
  const q = shellQuote(p);
  const tests = [
    set.mode ? `[ "$(stat -c %a -- ${q})" = ${shellQuote(statMode(set.mode))} ]` : '',
    set.owner ? `case "$(stat -c '%U %u' -- ${q})" in ${shellQuote(`${set.owner} `)}*|*${shellQuote(` ${set.owner}`)}) ;; *) false ;; esac` : '',
    set.group ? `case "$(stat -c '%G %g' -- ${q})" in ${shellQuote(`${set.group} `)}*|*${shellQuote(` ${set.group}`)}) ;; *) false ;; esac` : '',
  ].filter(Boolean);
  return tests.length ? tests.join(' && ') : 'true';
}

/** Sets a path's mode, owner and times back to what they were. */
export const restoreAttrs: UndoAction<'restore_attrs', RestoreAttrsArgs> = {
  kind: 'restore_attrs',
  paths: (a) => [a.path],
  script(a, opts) {
    const q = shellQuote(a.path);
    const back = [
      `chown ${a.link ? '-h ' : ''}-- ${shellQuote(`${a.uid}:${a.gid}`)} ${q}`,
      a.link ? '' : `chmod ${shellQuote(a.mode)} ${q}`,
      a.times ? `{ [ ! -e ${shellQuote(a.times)} ] || { touch -r ${shellQuote(a.times)} -- ${q} && rm -f -- ${shellQuote(a.times)}; }; }` : '',
    ].filter(Boolean);
    return [
      `${existsTest(a.path)} || { ${refuseUnlessForced(opts.force, `${a.path} is gone: nothing to set back`, 'echo "gone: nothing to set back"; exit 0')}; }`,
      `if ! { ${stillAsSet(a.path, a.set)}; }; then ${refuseUnlessForced(opts.force, `${a.path} changed since kplay set its mode or owner; left as it is`, ':')}; fi`,
      `${back.join(' && ')} || exit 8`,
      `echo "mode and owner set back"`,
    ].join('\n');
  },
};

/** Removes folders kplay created, while they are empty; forced, one that is not moves to `keep`. */
export const removeDirs: UndoAction<'remove_dirs', RemoveDirsArgs> = {
  kind: 'remove_dirs',
  paths: (a) => [...a.created],
  script(a, opts) {
    const steps = a.created.map((d) => {
      const q = shellQuote(d);
      const notEmpty = refuseUnlessForced(opts.force, `${d} is not empty: something was put in it since kplay created it; left as it is`, `k=${shellQuote(a.keep)}; [ ! -e "$k" ] || k="$k.$$"; mv -- ${q} "$k" || exit 8; echo "kept what was put in ${d} in $k"`);
      return `if ${existsTest(d)}; then [ -d ${q} ] && [ ! -L ${q} ] || { echo ${shellQuote(`${d} is no longer a folder; left as it is`)} >&2; exit 9; }; rmdir -- ${q} 2>/dev/null || { ${notEmpty}; }; fi`;
    });
    return [...steps, 'echo "folders removed"'].join('\n');
  },
};

/** Puts a link back as it was (or removes the one kplay made), if it still points where kplay set it. */
export const restoreLink: UndoAction<'restore_link', RestoreLinkArgs> = {
  kind: 'restore_link',
  paths: (a) => [a.path],
  script(a, opts) {
    const q = shellQuote(a.path);
    const put = a.previous === undefined ? `rm -f -- ${q} && echo "link removed"` : `${linkScript(a.path, a.previous)} && echo "link restored"`;
    const aside = `k=${shellQuote(a.keep)}; [ ! -e "$k" ] || k="$k.$$"; mv -- ${q} "$k" || exit 8; echo "it had changed since: kept in $k"`;
    return [
      `if [ -L ${q} ] && [ "$(readlink -- ${q})" = ${shellQuote(a.target)} ]; then ${put}; exit $?; fi`,
      `if ${existsTest(a.path)}; then`,
      `  if [ -L ${q} ] && [ "$(readlink -- ${q})" = ${shellQuote(a.previous ?? '')} ]; then echo "already restored"; exit 0; fi`,
      `  ${refuseUnlessForced(opts.force, `${a.path} changed since kplay made it a link to ${a.target}; left as it is`, aside)}`,
      `fi`,
      a.previous === undefined ? `echo "already absent"` : `${linkScript(a.path, a.previous)} && echo "link restored"`,
    ].join('\n');
  },
};

/** Makes p a link to target, replacing a link there in one rename. */
function linkScript(p: string, target: string): string {
  const t = shellQuote(`${p}.kplay-link`);
  return `rm -f -- ${t} && ln -s -- ${shellQuote(target)} ${t} && mv -fT -- ${t} ${shellQuote(p)}`;
}

/**
 * Where state: absent keeps what it removes, in the run's backup folder: named after the path, the
 * first free name, so that the undo's preparation and the change find the same one.
 */
async function removedPlace(ctx: TaskContext, dir: string, p: string): Promise<string> {
  const base = `${dir}/absent-${createHash('sha256').update(p).digest('hex').slice(0, 12)}-${path.posix.basename(p)}`;
  const r = await ctx.conn.run(`t=${shellQuote(base)}; s=; n=0; while [ -e "$t$s" ] || [ -L "$t$s" ]; do n=$((n+1)); s=".$n"; done; printf '%s' "$t$s"`, {
    timeoutMs: ctx.timeoutMs,
    become: ctx.become,
  });
  if (r.rc !== 0) throw new TaskFailed(`cannot look in the backup folder ${dir}: ${r.stderr.toString().trim()}`, {}, IO);
  return r.stdout.toString();
}

/** The folders `mkdir -p` would create for p, deepest first. */
async function missingDirs(ctx: TaskContext, p: string): Promise<string[]> {
  const r = await ctx.conn.run(`d=${shellQuote(p)}; while [ ! -e "$d" ] && [ ! -L "$d" ]; do printf '%s\\0' "$d"; d=$(dirname -- "$d"); done`, {
    timeoutMs: ctx.timeoutMs,
    become: ctx.become,
  });
  if (r.rc !== 0) throw new TaskFailed(`cannot look at ${p}: ${r.stderr.toString().trim()}`, {}, IO);
  return r.stdout.toString().split('\0').filter(Boolean);
}

async function prepareFileUndo(ctx: UndoContext, a: File): Promise<FileKindUndo | undefined> {
  const have = await pathState(ctx, a.path);
  const act = decide(have, a);
  const dir = () => ctx.backupDir();
  const keep = async () => `${await dir()}/${ctx.change}-${path.posix.basename(a.path)}.changed`;
  switch (act.do) {
    case 'none':
      return undefined;
    case 'mkdir':
      return ownUndo(removeDirs, ctx, `remove the folder ${a.path}`, { created: await missingDirs(ctx, a.path), keep: await keep() });
    case 'create':
      return ownUndo(removeFile, ctx, `remove ${a.path}`, { path: a.path, sha256: createHash('sha256').digest('hex'), keep: await keep() });
    case 'link':
      return ownUndo(restoreLink, ctx, `restore the link ${a.path}`, { path: a.path, target: a.src!, ...(act.previous !== undefined ? { previous: act.previous } : {}), keep: await keep() });
    case 'remove': {
      const moved = await removedPlace(ctx, await dir(), a.path);
      // A link is moved as a link (its target may not resolve from the backup folder): no checksum.
      const sum = await ctx.conn.run(`if [ -f ${shellQuote(a.path)} ] && [ ! -L ${shellQuote(a.path)} ]; then ${sha256Of(shellQuote(a.path))}; else echo -; fi`, { timeoutMs: ctx.timeoutMs, become: ctx.become });
      if (sum.rc !== 0) throw new TaskFailed(`cannot read ${a.path}: ${sum.stderr.toString().trim()}`, {}, IO);
      return ownUndo(moveBack, ctx, `put ${a.path} back`, { original: a.path, moved, sha256: sum.stdout.toString().trim() });
    }
    case 'attrs':
    case 'touch':
      return ownUndo(restoreAttrs, ctx, `set ${a.path}'s mode and owner back`, await attrsUndoArgs(ctx, a, have!, act.do === 'touch'));
  }
}

async function attrsUndoArgs(ctx: UndoContext, a: File, have: PathState, touch: boolean): Promise<RestoreAttrsArgs> {
  const args: RestoreAttrsArgs = { path: a.path, mode: have.mode, uid: have.uid, gid: have.gid, set: { mode: a.mode, owner: a.owner, group: a.group }, link: have.type === 'link' };
  if (!touch) return args;
  const times = `${await ctx.backupDir()}/${ctx.change}-${path.posix.basename(a.path)}.times`;
  const r = await ctx.conn.run(`touch -r ${shellQuote(a.path)} -- ${shellQuote(times)}`, { timeoutMs: ctx.timeoutMs, become: ctx.become });
  if (r.rc !== 0) throw new TaskFailed(`cannot keep the times of ${a.path}: ${r.stderr.toString().trim()}`, {}, IO);
  return { ...args, times };
}

/** The shell that makes the change an action says. */
async function changeScript(ctx: TaskContext, a: File, act: Exclude<FileAction, { do: 'none' }>): Promise<string> {
  const q = shellQuote(a.path);
  const attrs = setAttrsScript(a.path, a, act.do === 'link' || (act.do === 'attrs' && act.link));
  switch (act.do) {
    case 'attrs':
      return attrs.join(' && ');
    case 'mkdir':
      return [`mkdir -p -- ${q}`, ...attrs].join(' && ');
    case 'create':
      return [`[ -d "$(dirname -- ${q})" ] || { echo ${shellQuote(`the folder of ${a.path} does not exist (create it first: state: directory)`)} >&2; exit 1; }`, `(set -C; : > ${q})`, ...attrs].join(' && ');
    case 'touch':
      return [`touch -- ${q}`, ...attrs].join(' && ');
    case 'link':
      return [linkScript(a.path, a.src!), ...attrs].join(' && ');
    case 'remove': {
      if (!ctx.backupDir) throw new TaskFailed(`state: absent keeps what it removes in the run's backup folder, and this run keeps none (it has no state folder); ${a.path} is left as it is`);
      const moved = await removedPlace(ctx, await ctx.backupDir(), a.path);
      return `mv -- ${q} ${shellQuote(moved)}`;
    }
  }
}

function describe(a: File, act: FileAction): string {
  switch (act.do) {
    case 'none':
      return act.message;
    case 'attrs':
      return act.changes.join(', ');
    case 'mkdir':
      return `folder created${fileAttrs(a)}`;
    case 'create':
      return `empty file created${fileAttrs(a)}`;
    case 'touch':
      return ['times updated', ...act.changes].join(', ');
    case 'link':
      return act.previous === undefined ? `link to ${a.src} created` : `link changed from ${act.previous} to ${a.src}`;
    case 'remove':
      return `${act.type === 'directory' ? 'folder' : act.type === 'link' ? 'link' : 'file'} removed (kept in the run's backup folder)`;
  }
}

async function checkFile(ctx: TaskContext, a: File): Promise<CheckOutcome> {
  const have = await pathState(ctx, a.path);
  const act = decide(have, a);
  if (act.do === 'none') return { status: 'ok', message: `${a.path}: ${act.message}` };
  const message = `would change ${a.path}: ${describe(a, act)}`;
  const text = async () => (have?.type === 'file' ? ((await ctx.conn.readFile(a.path, { become: ctx.become })) ?? Buffer.alloc(0)).toString('utf8') : null);
  const diff = act.do === 'create' ? { before: null, after: '' } : act.do === 'remove' ? { before: await text(), after: null } : { before: null, after: null };
  return { status: 'changed', message, diffs: [{ path: a.path, ...diff, note: describe(a, act) }] };
}

export const file: KindDef<'file', File, FileKindUndo> = {
  kind: 'file',
  changes: true,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview(a) {
    const state = a.state ?? 'file';
    if (state === 'link') return [`link ${a.path} -> ${a.src}${fileAttrs(a)}`];
    if (state === 'absent') return [`remove ${a.path} (kept in the run's backup folder until the run is rolled back)`];
    return [`${state === 'directory' ? 'folder' : state === 'touch' ? 'touch' : 'file'} ${a.path}${fileAttrs(a)}`];
  },
  check: checkFile,
  prepareUndo: prepareFileUndo,
  async execute(ctx, a): Promise<TaskOutcome> {
    const act = decide(await pathState(ctx, a.path), a);
    if (act.do === 'none') return { status: 'ok', message: act.message };
    const r = await ctx.conn.run(await changeScript(ctx, a, act), { timeoutMs: ctx.timeoutMs, become: ctx.become, signal: ctx.signal });
    if (r.rc !== 0) throw new TaskFailed(`cannot change ${a.path}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr }, IO);
    return { status: 'changed', message: describe(a, act) };
  },
};
