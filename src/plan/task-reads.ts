// What a task file's templates read, held against what the file declares it needs: a declaration
// that misses a variable would let an include pass the check and the run fail inside the file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { TaskSpec } from '../config/model.js';
import { splitTaskFile } from '../config/task-interface.js';
import type { TaskFileInterface } from '../config/task-interface.js';
import type { YamlSource } from '../config/yaml-source.js';
import { compileCondition, compileTemplate } from '../template/index.js';
import type { VarReference } from '../template/index.js';
import { argFields } from './task-templates.js';
import { loopNames, loopReads } from '../config/loop.js';
import { TemplateFiles } from './template-files.js';

/** Names every template has without anyone defining them (`result` only in `until`, harmless elsewhere). */
const BUILT_IN = new Set(['host', 'playbook_dir', 'task_dir', 'result']);

/** The variables a task reads (arguments, when, until, vars, its template file, and its rollback's), by root name. */
export function taskReads(task: TaskSpec): Set<string> {
  const refs: VarReference[] = [];
  for (const t of task.rollback ? [task, task.rollback] : [task]) {
    for (const f of argFields(t)) refs.push(...compiled(() => compileTemplate(f.source, f.mode).references));
    for (const w of t.when) if (typeof w.expr === 'string') refs.push(...compiled(() => compileCondition(w.expr as string).references));
    if (t.until !== undefined) refs.push(...compiled(() => compileCondition(t.until!).references));
    for (const v of Object.values(t.vars)) if (typeof v === 'string') refs.push(...compiled(() => compileTemplate(v, 'text').references));
    refs.push(...templateFileReads(t));
  }
  refs.push(...loopReads(task));
  return new Set(refs.filter((r) => !r.optional).map((r) => r.root));
}

/** A template that does not compile is reported by the template checks; here it reads nothing. */
function compiled(fn: () => VarReference[]): VarReference[] {
  try {
    return fn();
  } catch {
    return [];
  }
}

function templateFileReads(task: TaskSpec): VarReference[] {
  const field = TemplateFiles.fieldOf(task);
  const src = field === undefined ? undefined : (task.args as Record<string, unknown>)[field];
  if (typeof src !== 'string' || src.includes('{{')) return [];
  try {
    return compileTemplate(readFileSync(path.resolve(path.dirname(task.origin.src.absPath), src), 'utf8'), 'text').references;
  } catch {
    return []; // an unreadable or broken template file is reported by the template file checks
  }
}

/**
 * The variables the tasks of a task file read that its interface does not declare: each is an error
 * at the first task that reads it. Names the file's own tasks register, and a task's own vars, are
 * the file's own business.
 */
export function undeclaredReads(tasks: readonly TaskSpec[], iface: TaskFileInterface, src: YamlSource): Diagnostic[] {
  const declared = new Set([...iface.needsVars, ...iface.needsRegistered, ...BUILT_IN]);
  const registered = new Set(tasks.flatMap((t) => (t.register ? [t.register] : [])));
  const reported = new Set<string>();
  const out: Diagnostic[] = [];
  // A file included here that declares its own needs answers for its tasks (its include is checked against them).
  for (const t of tasks.filter((x) => x.origin.src.absPath === src.absPath || !splitTaskFile(x.origin.src).iface)) {
    for (const name of taskReads(t)) {
      if (declared.has(name) || registered.has(name) || Object.hasOwn(t.vars, name) || loopNames(t).includes(name) || reported.has(name)) continue;
      reported.add(name);
      out.push({
        code: 'E_NEEDS',
        severity: 'error',
        message: `task "${t.name}" reads "${name}", which needs does not declare`,
        hint: `Add "${name}" to needs.vars (or needs.registered for a result registered before the include) at the top of ${path.basename(src.file)}.`,
        pos: t.origin.pos,
      });
    }
  }
  return out;
}
