// set_fact names: what the kind sets for later tasks, as loading sees it. A fact sits where a
// registered result sits, so it counts as what a task file provides, and it may not take a name
// kplay gives every task or a secret's name.
import type { Diagnostic } from '../errors.js';
import type { SecretDecl, TaskSpec } from './model.js';
import { keyPos, posAt } from './yaml-source.js';

/**
 * Names a fact cannot take: the ones kplay gives every task, `result` (a task's own result in
 * until, changed_when and failed_when) and `item` (the loop's item).
 */
export const RESERVED_FACTS: ReadonlySet<string> = new Set(['host', 'playbook_dir', 'task_dir', 'result', 'item']);

/** The names a set_fact task sets (none for other kinds). */
export function factNames(task: TaskSpec): string[] {
  return task.kind === 'set_fact' ? Object.keys(task.args as Record<string, unknown>) : [];
}

/** Facts that take a reserved name or a secret's: each is an error at its name. */
export function factProblems(tasks: readonly TaskSpec[], secrets: readonly SecretDecl[] = []): Diagnostic[] {
  const secretNames = new Set(secrets.map((s) => s.name));
  const problems: Diagnostic[] = [];
  for (const t of tasks) {
    for (const name of factNames(t)) {
      const pos = keyPos(t.origin.src, t.argsPath, name) ?? posAt(t.origin.src, [...t.argsPath, name]);
      if (RESERVED_FACTS.has(name)) {
        problems.push({
          code: 'E_TASK',
          severity: 'error',
          message: `task "${t.name}": set_fact cannot set "${name}", a name kplay gives every task`,
          hint: `Choose another name; ${[...RESERVED_FACTS].join(', ')} are reserved.`,
          pos,
        });
      } else if (secretNames.has(name)) {
        problems.push({
          code: 'E_SECRET',
          severity: 'error',
          message: `task "${t.name}": set_fact would replace the secret "${name}" with a value`,
          hint: 'A secret takes its value only from its environment variable or file: rename the fact.',
          pos,
        });
      }
    }
  }
  return problems;
}
