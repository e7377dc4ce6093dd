// Conditions in the `when` language that are not `when`: changed_when and failed_when, which read
// the task's own result, and the conditions a kind holds in its arguments (assert's `that`). The
// plan evaluates them with the host's values, with placeholders for what only the run can tell,
// so that a mistake (an undefined variable) stops the run before anything changes.
import type { Condition, TaskSpec } from '../config/model.js';
import { isRuntimeValue, runtimeResult } from '../template/index.js';
import { taskKinds } from '../tasks/registry.js';
import { nodeAt } from '../config/yaml-source.js';
import type { ArgField, TemplateSite } from './task-templates.js';
import { conditionAt, placed, siteOf } from './task-templates.js';

/** Runs fn; a placed template error is reported and the answer is undefined (HostSink.attempt). */
export type Attempt = <T>(fn: () => T) => T | undefined;

/** The values a task's result conditions see: the host's, and its result as `result` and under its register name. */
export function resultContext(context: Record<string, unknown>, task: TaskSpec, result: unknown): Record<string, unknown> {
  return { ...context, result, ...(task.register ? { [task.register]: result } : {}) };
}

/** One condition's answer; a mistake in it throws a placed template error. */
function answer(c: Condition, context: Record<string, unknown>): unknown {
  if (typeof c.expr === 'boolean') return c.expr;
  const expr = c.expr;
  try {
    return conditionAt(expr, siteOf(c.origin)).evaluate(context);
  } catch (err) {
    throw placed(err, siteOf(c.origin));
  }
}

/** Plan time: evaluates changed_when and failed_when against a placeholder result, reporting mistakes. */
export function checkResultConditions(task: TaskSpec, context: Record<string, unknown>, attempt: Attempt): void {
  if (!task.changedWhen.length && !task.failedWhen.length) return;
  const ctx = resultContext(context, task, runtimeResult(task.name));
  for (const c of [...task.failedWhen, ...task.changedWhen]) attempt(() => answer(c, ctx));
}

/**
 * Run time: whether every condition holds for the task's real result. A value still unknown
 * counts as not holding (it cannot happen after the task ran: every result is real by then).
 */
export function allHold(conditions: readonly Condition[], context: Record<string, unknown>): boolean {
  return conditions.every((c) => {
    const a = answer(c, context);
    return a === true && !isRuntimeValue(a);
  });
}

/**
 * Where a condition field is written: its `{ expr, holds }` holder's place, which is the list
 * item, or the key itself when one condition was written without a list.
 */
function conditionSite(site: TemplateSite): TemplateSite {
  const holder = site.dataPath.slice(0, -1);
  const written = nodeAt(site.src, holder) ? holder : holder.slice(0, -1);
  return { src: site.src, dataPath: written };
}

/** Whether an argument field of the task's kind holds a condition rather than a template. */
export function isConditionField(task: TaskSpec, f: ArgField): boolean {
  const fields = taskKinds[task.kind].conditionFields;
  return fields !== undefined && fields.includes(f.field.filter((s) => typeof s === 'string').join('.'));
}

/**
 * Evaluates a condition field for one host: `holds` is the answer, null when only run time can
 * tell (`late`: it reads a registered result) or when the condition has a mistake (reported).
 */
export function evaluateConditionField(
  f: ArgField,
  context: Record<string, unknown>,
  registeredNames: ReadonlySet<string>,
  attempt: Attempt,
): { holds: boolean | null; late: boolean } {
  const site = conditionSite(f.site);
  const c = attempt(() => conditionAt(f.source, site));
  if (!c) return { holds: null, late: false };
  const late = c.references.some((r) => isRuntimeValue(context[r.root]) || registeredNames.has(r.root));
  const a = attempt(() => {
    try {
      return c.evaluate(context);
    } catch (err) {
      throw placed(err, site);
    }
  });
  if (late || a === undefined || isRuntimeValue(a)) return { holds: null, late: late || isRuntimeValue(a) };
  return { holds: a, late: false };
}
