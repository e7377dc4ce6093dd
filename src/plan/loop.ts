// `loop:` in the plan: the list evaluated for a host, and one task per item, the item in its
// variables. Each item's step is rendered by the same code as any step, so the plan shows every
// item's command; a list that only run time knows (a registered result) is shown as one step with
// <item> placeholders and expanded when the task is reached.
import type { LoopSpec, TaskSpec } from '../config/model.js';
import { loopExpression } from '../config/loop.js';
import { posInScalar } from '../config/yaml-source.js';
import { isRuntimeValue, runtimeObject, runtimeOfKind, runtimeResult, TemplateError } from '../template/index.js';
import type { RuntimeValue } from '../template/index.js';
import { NO_LOG_SHOWN } from './plan.js';
import type { PlannedLoop, PlanStep } from './plan.js';
import { conditionAt, PlacedTemplateError, placed, templateAt } from './task-templates.js';
import { RuntimeText } from './vars.js';

/** The id of one item's step: `3[2]` is the second item of task 3. */
function itemId(taskId: string, index: number): string {
  return `${taskId}[${index + 1}]`;
}

/** The id of the task an item's step belongs to (the id itself for any other step). */
export function loopTaskId(id: string): string {
  return id.replace(/\[\d+\]$/, '');
}

/** Every step that runs on its own: a loop's items in place of the loop, when they are known. */
export function flatSteps(steps: readonly PlanStep[]): PlanStep[] {
  return steps.flatMap((s) => s.loop?.items ?? [s]);
}

/** The placeholder a looped task registers in a dry run: a task's result, with its per-item `results`. */
export function loopResultPlaceholder(taskName: string): Record<string, unknown> {
  const of = JSON.stringify(taskName);
  // Kinds known now, so that what cannot work with them is refused before connecting.
  return { ...runtimeResult(taskName), results: runtimeOfKind(`results of ${of}`, 'list'), msg: runtimeOfKind(`msg of ${of}`, 'string') };
}

/** The task with placeholders for its loop variables: how the plan shows a loop whose list run time gives. */
export function placeholderTask(task: TaskSpec): TaskSpec {
  const { loop, ...rest } = task;
  const l = loop!;
  return { ...rest, item: { [l.loopVar]: runtimeObject(l.loopVar), ...(l.indexVar ? { [l.indexVar]: runtimeObject(l.indexVar) } : {}) } };
}

/**
 * The list a task loops over, for a host: a written list with its strings rendered, or the value of
 * its `{{expr}}`; a RuntimeValue when only run time knows it. `late` tells the names whose values
 * are placeholders. Throws PlacedTemplateError for a template problem, or a value that is no list.
 */
export function loopValues(task: TaskSpec, context: Record<string, unknown>, late: (root: string) => boolean): unknown[] | RuntimeValue {
  const loop = task.loop!;
  if (Array.isArray(loop.over)) return loop.over.map((v, i) => renderItem(v, [...loop.origin.dataPath, i], loop, context, late));
  const found = loopExpression(loop.over)!;
  // Compiled once per process (a syntax error was reported when the playbook loaded).
  const compiled = conditionAt(found.expr, { src: loop.origin.src, dataPath: loop.origin.dataPath });
  let value: unknown;
  try {
    value = compiled.value(context);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const p = err.problem;
    const pos = posInScalar(loop.origin.src, loop.origin.dataPath, p.line, p.line === 1 ? p.col + found.offset : p.col);
    throw new PlacedTemplateError({ code: 'E_TEMPLATE', severity: 'error', message: `loop: ${p.message}`, hint: p.hint, pos });
  }
  if (isRuntimeValue(value) || Array.isArray(value)) return value;
  throw new PlacedTemplateError({
    code: 'E_LOOP',
    severity: 'error',
    message: `task "${task.name}": loop ${loop.over} gave ${described(value)}, not a list`,
    hint: notListHint(value),
    pos: loop.origin.pos,
  });
}

/** A written item: its strings are templates (as in Ansible); one that reads a run-time value stays a placeholder. */
function renderItem(v: unknown, dataPath: (string | number)[], loop: LoopSpec, context: Record<string, unknown>, late: (root: string) => boolean): unknown {
  if (Array.isArray(v)) return v.map((x, i) => renderItem(x, [...dataPath, i], loop, context, late));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderItem(x, [...dataPath, k], loop, context, late)]));
  if (typeof v !== 'string' || !v.includes('{{')) return v;
  const site = { src: loop.origin.src, dataPath };
  const t = templateAt(v, 'text', site);
  let text: string;
  try {
    text = t.render(context);
  } catch (err) {
    throw placed(err, site, 'loop: ');
  }
  return t.references.some((r) => late(r.root)) ? new RuntimeText(text) : text;
}

/** What a loop got instead of a list, in a few words. */
function described(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return `a mapping (keys: ${Object.keys(value).slice(0, 5).join(', ') || 'none'})`;
  return `the ${typeof value} ${String(value)}`;
}

function notListHint(value: unknown): string {
  if (typeof value === 'string') return 'A loop goes over a list, not a string: use a variable that holds a list, or the lines of a result ("{{out.lines}}").';
  if (value && typeof value === 'object') {
    return "A loop goes over a list, not a mapping: write its entries as a list (- {name: a, value: 1}), as Ansible's dict2items would give; a loop's registered result keeps its items in .results.";
  }
  return 'A loop goes over a list: a YAML list, a variable that holds one, or the lines of a result ("{{out.lines}}").';
}

/**
 * One task per item: the item (and its position) in its variables, its id `3[1]`, and its name (and
 * its rollback's) ending in the item's label, with `mask` applied (names reach the journal, where
 * no secret may go). Throws PlacedTemplateError for a label that fails.
 */
export function itemTasks(task: TaskSpec, values: readonly unknown[], context: Record<string, unknown>, mask: (text: string) => string = (t) => t): TaskSpec[] {
  const { loop, ...rest } = task;
  const l = loop!;
  return values.map((value, index) => {
    const item = { [l.loopVar]: value, ...(l.indexVar ? { [l.indexVar]: index } : {}) };
    const suffix = ` (${l.loopVar}=${task.noLog ? index + 1 : mask(labelOf(l, value, { ...context, ...item }))})`;
    const rollback = task.rollback && { ...task.rollback, name: `${task.rollback.name}${suffix}` };
    return { ...rest, id: itemId(task.id, index), name: `${task.name}${suffix}`, item, ...(rollback ? { rollback } : {}) };
  });
}

/** How an item is named in the plan, events and journal: loop_control.label rendered, else the item, short. */
function labelOf(loop: LoopSpec, value: unknown, context: Record<string, unknown>): string {
  let text: string;
  if (loop.label !== undefined) {
    const site = { src: loop.origin.src, dataPath: [...loop.origin.dataPath.slice(0, -1), 'loop_control', 'label'] };
    try {
      text = templateAt(loop.label, 'text', site).render(context);
    } catch (err) {
      throw placed(err, site, 'loop_control.label: ');
    }
  } else {
    text = typeof value === 'string' || isRuntimeValue(value) ? String(value) : JSON.stringify(value) ?? String(value);
  }
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/**
 * The loop's step: the task rendered with placeholder items (`outer`), with each item's step when
 * the list is known. It runs when any item runs; a loop whose items are all skipped is skipped.
 */
export function withLoop(outer: PlanStep, loop: LoopSpec, items: PlanStep[] | undefined): PlanStep {
  const planned: PlannedLoop = {
    // A written list may hold what no_log hides.
    over: outer.noLog ? NO_LOG_SHOWN : typeof loop.over === 'string' ? loop.over : JSON.stringify(loop.over),
    loopVar: loop.loopVar,
    ...(loop.indexVar !== undefined ? { indexVar: loop.indexVar } : {}),
    ...(items ? { items } : {}),
  };
  const step: PlanStep = { ...outer, loop: planned };
  if (!items) return step;
  if (items.length === 0) return { ...step, action: 'skip', reason: 'loop over an empty list', runtimeWhen: [] };
  if (items.every((s) => s.action === 'skip')) {
    const reasons = new Set(items.map((s) => s.reason));
    return { ...step, action: 'skip', reason: reasons.size === 1 ? items[0]!.reason : 'every item is skipped', runtimeWhen: [] };
  }
  return { ...step, action: 'run', reason: undefined, runtimeWhen: [] };
}

/** An item's step before it is rendered (its list was known only at run time): TaskRun renders it first. */
export function pendingItemStep(outer: PlanStep, item: TaskSpec): PlanStep {
  const { loop: _loop, ...rest } = outer;
  return { ...rest, id: item.id, name: item.name, action: 'run', reason: undefined, runtime: true };
}
