import type { KindName } from '../tasks/kind.js';

/** Undo actions that kinds carry for themselves; each checks the real state before it acts. */
export type BuiltinUndo = 'move_back' | 'restore_backup' | 'remove_file' | 'stop_marked';

/**
 * An undo step as the journal keeps it: everything needed to run it later, with no playbook,
 * inventory or registered results at hand. Arguments are already rendered.
 */
export interface UndoSpec {
  name: string;
  kind: KindName | BuiltinUndo;
  args: unknown;
  become: boolean;
  local: boolean;
  timeoutMs: number;
  /** A `rollback:` written by the user (rather than a kind's own undo, which checks state first). */
  userWritten: boolean;
  /** From a written rollback task: tries after the first failure, and the wait between tries. */
  retries?: number;
  delayMs?: number;
  /** From a written rollback task: a failure is reported but does not stop the host's rollback. */
  ignoreErrors?: boolean;
  /** From a task with no_log: the undo's output is not shown or journaled. */
  noLog?: boolean;
}
