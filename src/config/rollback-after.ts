// `rollback_after:` lets a task say that its undo waits for the undos of other tasks, although undos
// otherwise run newest first. The names are resolved here, once every task is loaded, into the ids
// of the tasks they cover (an include's name covers every task it includes): ids, unlike names,
// are what the journal keeps, so a later `kplay rollback` can keep the order without the playbook.
import type { Diagnostic, SourcePos } from '../errors.js';
import { suggest } from '../text/suggest.js';
import type { TaskSpec } from './model.js';

/** A task or an include as rollback_after can name it: the tasks it covers are its id and the ids under it. */
export interface NamedTasks {
  name: string;
  id: string;
}

/** One name written under a task's rollback_after. */
export interface WrittenAfter {
  name: string;
  pos: SourcePos;
}

/** A task's rollback_after as written, waiting for every task to be known. */
export interface RollbackAfterRef {
  task: TaskSpec;
  names: WrittenAfter[];
}

/**
 * Whether the task (or change) with id `id` is `group` or lies under it: "3" covers "3", "3.1",
 * "3.1.2" and a loop's items of 3 ("3[0]", whatever marks them), never "31".
 */
export function idWithin(id: string, group: string): boolean {
  return id === group || (id.startsWith(group) && !/[0-9]/.test(id[group.length]!));
}

/** rollback_after as written: one name or a list of them, with their positions. */
export function writtenAfter(value: string | string[] | undefined, pos: (index: number | undefined) => SourcePos): WrittenAfter[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [{ name: value, pos: pos(undefined) }] : value.map((name, i) => ({ name, pos: pos(i) }));
}

/**
 * Sets each task's rollbackAfter to the ids its names cover. A name that matches no task or
 * include is an error in a playbook; in a task file checked on its own (`partial`) it may name a
 * task of the playbook that includes the file, so it is a warning there.
 */
export function resolveRollbackAfter(refs: RollbackAfterRef[], named: NamedTasks[], problems: Diagnostic[], partial: boolean): void {
  for (const { task, names } of refs) {
    const ids: string[] = [];
    for (const w of names) {
      const found = named.filter((n) => n.name === w.name && !idWithin(task.id, n.id));
      if (found.length) ids.push(...found.map((n) => n.id).filter((id) => !ids.includes(id)));
      else problems.push(unknownName(task, w, named, partial));
    }
    if (ids.length) task.rollbackAfter = ids;
  }
}

function unknownName(task: TaskSpec, w: WrittenAfter, named: NamedTasks[], partial: boolean): Diagnostic {
  const itself = named.some((n) => n.name === w.name);
  if (itself) {
    return {
      code: 'E_TASK',
      severity: 'error',
      message: `task "${task.name}": rollback_after names the task itself (or the include it is in)`,
      hint: 'rollback_after names other tasks: this task\'s undo then runs once their undos have run.',
      pos: w.pos,
    };
  }
  const close = suggest(w.name, new Set(named.map((n) => n.name)));
  return {
    code: 'E_TASK',
    severity: partial ? 'warning' : 'error',
    message: `task "${task.name}": rollback_after names "${w.name}", ${partial ? 'which is not a task of this file (the playbook that includes it must have it)' : 'which is no task or include of this playbook'}`,
    hint: close ? `Did you mean "${close}"? Names must match exactly.` : 'rollback_after takes the names of tasks (or includes) of the same playbook, exactly as their name: keys say.',
    pos: w.pos,
  };
}
