// The undo actions that kinds carry for themselves, by the name the journal records. Each lives
// beside the kind that prepares it (move_back in move.ts, restore_backup and remove_file in
// copy.ts, stop_marked in dlv.ts; restore_attrs, remove_dirs and restore_link in file.ts); an
// action missing here, or one whose arguments differ from what its kind records, does not compile.
import { removeFile, restoreBackup } from './copy.js';
import type { RemoveFileArgs, RestoreBackupArgs } from './copy.js';
import { stopMarked } from './dlv.js';
import type { StopMarkedArgs } from './dlv.js';
import { removeDirs, restoreAttrs, restoreLink } from './file.js';
import type { RemoveDirsArgs, RestoreAttrsArgs, RestoreLinkArgs } from './file.js';
import type { KindName, OwnUndo, UndoAction, UndoOptions } from './kind.js';
import { moveBack } from './move.js';
import type { MoveBackArgs } from './move.js';

/** Each built-in undo's arguments, by its name. */
interface UndoArgs {
  move_back: MoveBackArgs;
  restore_backup: RestoreBackupArgs;
  remove_file: RemoveFileArgs;
  stop_marked: StopMarkedArgs;
  restore_attrs: RestoreAttrsArgs;
  remove_dirs: RemoveDirsArgs;
  restore_link: RestoreLinkArgs;
}

/** The names of the built-in undos. */
export type BuiltinUndo = keyof UndoArgs;

/** Every built-in undo action by name. */
export const undoActions: { readonly [N in BuiltinUndo]: UndoAction<N, UndoArgs[N]> } = {
  move_back: moveBack,
  restore_backup: restoreBackup,
  remove_file: removeFile,
  stop_marked: stopMarked,
  restore_attrs: restoreAttrs,
  remove_dirs: removeDirs,
  restore_link: restoreLink,
};

/** A built-in undo with its arguments, as a kind's prepareUndo returns it. */
export type BuiltinUndoSpec<N extends BuiltinUndo = BuiltinUndo> = { [P in N]: OwnUndo<P, UndoArgs[P]> }[N];

/** A `rollback:` written by the user: a task of any kind, its arguments rendered when it was planned. */
export interface UserUndoSpec {
  name: string;
  kind: KindName;
  args: unknown;
  become: boolean;
  /** With become: the user other than root it runs as. */
  becomeUser?: string;
  local: boolean;
  timeoutMs: number;
  userWritten: true;
  /** Tries after the first failure, and the wait between tries. */
  retries?: number;
  delayMs?: number;
  /** A failure is reported but does not stop the host's rollback. */
  ignoreErrors?: boolean;
  /** From a task with no_log: the undo's output is not shown or journaled. */
  noLog?: boolean;
}

/**
 * An undo step as the journal keeps it: everything needed to run it later, with no playbook,
 * inventory or registered results at hand.
 */
export type UndoSpec = BuiltinUndoSpec | UserUndoSpec;

/** Whether a name is a built-in undo's (journals are read back as plain data). */
export function isBuiltinUndo(kind: string): kind is BuiltinUndo {
  return Object.hasOwn(undoActions, kind);
}

/** The shell that performs a built-in undo. */
export function undoScript<N extends BuiltinUndo>(spec: BuiltinUndoSpec<N>, opts: UndoOptions): string {
  const action: UndoAction<N, UndoArgs[N]> = undoActions[spec.kind];
  return action.script(spec.args, opts);
}

/** The host's paths an undo changes; a user's rollback does not say, so none. */
export function undoPaths(spec: UndoSpec): string[] {
  if (spec.userWritten) return [];
  return pathsOf(spec);
}

function pathsOf<N extends BuiltinUndo>(spec: BuiltinUndoSpec<N>): string[] {
  const action: UndoAction<N, UndoArgs[N]> = undoActions[spec.kind];
  return action.paths(spec.args);
}
