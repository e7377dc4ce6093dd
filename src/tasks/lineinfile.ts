// `lineinfile`: one line of a text file, as Ansible's module edits it. The controller reads the
// host's file, edits the text (src/tasks/line-edit.ts) and writes it back through the copy
// machinery (a temporary file beside it, then a rename), so that --check, the run and the undo's
// checksum all come from the one edit. The undo is copy's: the old file kept in the run's backup
// folder and put back only while the file is still what kplay wrote.
import type { Lineinfile } from '../config/playbook.generated.js';
import { backupUndo, fileAttrs, putFile } from './copy.js';
import type { FileUndo } from './copy.js';
import type { CheckOutcome, KindDef, TaskContext, TaskOutcome } from './kind.js';
import { IO, TaskFailed } from './kind.js';
import type { LineEdit } from './line-edit.js';
import { editLines, LineEditError, positionProblem, regexpProblem } from './line-edit.js';
import type { PathState, WantedAttrs } from './path-state.js';
import { attrChanges, fileWithState } from './path-state.js';

/** lineinfile's arguments, in one shape. */
export interface LineinfileArgs extends LineEdit, WantedAttrs {
  path: string;
  create?: boolean;
}

/** What the task would do to the file: its text before and after, and the attributes to set. */
interface Planned {
  before: string | null;
  after: string;
  /** The edit's own word for it ("line added"), or why nothing changes. */
  message: string;
  attrs: string[];
  /** Mode, owner and group to write with: those asked for, else the file's own. */
  write: WantedAttrs;
}

export const lineinfile: KindDef<'lineinfile', LineinfileArgs, FileUndo> = {
  kind: 'lineinfile',
  changes: true,
  shellFields: [],
  // A pattern written in the playbook is checked before anything runs; one a template gives, once rendered.
  renderedChecks: { regexp: regexpProblem, insertafter: positionProblem('EOF'), insertbefore: positionProblem('BOF') },
  normalize: (w: Lineinfile) => ({ ...w }) as LineinfileArgs,
  preview(a) {
    const where = a.regexp !== undefined ? ` (lines matching /${a.regexp}/)` : '';
    if (a.state === 'absent') return [`remove ${a.regexp !== undefined ? `lines matching /${a.regexp}/` : JSON.stringify(a.line)} from ${a.path}${fileAttrs(a)}`];
    const place = a.insertbefore ? `before /${a.insertbefore}/` : a.insertafter && a.insertafter !== 'EOF' ? `after /${a.insertafter}/` : 'at the end';
    return [`line ${JSON.stringify(a.line)} in ${a.path}${where}, else ${place}${a.create ? ', creating the file' : ''}${fileAttrs(a)}`];
  },
  async check(ctx, a) {
    return checkOutcome(a, await planEdit(ctx, a));
  },
  async prepareUndo(ctx, a) {
    const p = await planEdit(ctx, a);
    if (!willChange(p)) return undefined;
    return backupUndo(ctx, a.path, Buffer.from(p.after));
  },
  async execute(ctx, a) {
    const p = await planEdit(ctx, a);
    if (!willChange(p)) return { status: 'ok', message: p.message };
    const written = await writeEdit(ctx, a, p);
    return { ...written, message: p.before === p.after ? `attributes changed (${p.attrs.join(', ')})` : p.message };
  },
};

function willChange(p: Planned): boolean {
  return p.before !== p.after || p.attrs.length > 0;
}

/** Reads the file and finds what the task would make of it; nothing on the host changes. */
async function planEdit(ctx: TaskContext, a: LineinfileArgs): Promise<Planned> {
  const found = await fileWithState(ctx, a.path);
  if (found && found.state.type !== 'file') throw new TaskFailed(`${a.path} is a ${found.state.type === 'other' ? 'special file' : found.state.type}, not a text file`, {}, IO);
  const before = found ? textOf(a.path, found.data!) : null;
  if (before === null && a.state === 'absent') return { before, after: '', message: 'no file, so no such line', attrs: [], write: {} };
  if (before === null && !a.create) {
    throw new TaskFailed(`${a.path} does not exist`, {}, { code: 'E_IO' });
  }
  const edited = editOrFail(before ?? '', a);
  // A created file gets what was asked for; an existing one keeps its owner unless told otherwise.
  const write = found ? keptAttrs(found.state, a) : { mode: a.mode ?? '0644', owner: a.owner, group: a.group };
  const attrs = found ? attrChanges(found.state, a) : [];
  return { before, after: before === null ? edited.text : edited.changed ? edited.text : before, message: edited.message, attrs, write };
}

function editOrFail(text: string, a: LineinfileArgs): { text: string; changed: boolean; message: string } {
  try {
    return editLines(text, a);
  } catch (e) {
    if (e instanceof LineEditError) throw new TaskFailed(e.message);
    throw e;
  }
}

/** The text of a file that must be UTF-8: anything else would not be written back as it was. */
function textOf(p: string, data: Buffer): string {
  const text = data.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(data)) throw new TaskFailed(`${p} is not UTF-8 text; lineinfile edits text files only (its bytes would not be written back as they were)`, {}, IO);
  return text;
}

function keptAttrs(have: PathState, a: WantedAttrs): WantedAttrs {
  return { mode: a.mode ?? `0${have.mode}`, owner: a.owner ?? have.uid, group: a.group ?? have.gid };
}

async function writeEdit(ctx: TaskContext, a: LineinfileArgs, p: Planned): Promise<TaskOutcome> {
  try {
    return await putFile(ctx, Buffer.from(p.after), { dest: a.path, ...p.write });
  } catch (e) {
    if (e instanceof TaskFailed && !ctx.become) throw new TaskFailed(`${e.message} (become: true writes as root, keeping the file's owner)`, e.outcome, IO);
    throw e;
  }
}

function checkOutcome(a: LineinfileArgs, p: Planned): CheckOutcome {
  if (!willChange(p)) return { status: 'ok', message: `${a.path}: ${p.message}` };
  const what = p.before === p.after ? `would set ${p.attrs.join(', ')} of ${a.path}` : `would change ${a.path}: ${p.message}${p.before === null ? ' (creating it)' : ''}`;
  const note = p.attrs.length ? p.attrs.join(', ') : undefined;
  return { status: 'changed', message: what, diffs: [{ path: a.path, before: p.before, after: p.after, ...(note ? { note } : {}) }] };
}

