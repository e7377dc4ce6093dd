// `loop:` as written, checked when the playbook loads: the form of the list, the syntax of its
// template, and `item` read by a task that has no loop (an Ansible habit that would otherwise fail
// later, host by host, as a plain undefined variable).
import type { Diagnostic, SourcePos } from '../errors.js';
import { compileCondition, compileTemplate, TemplateError } from '../template/index.js';
import type { VarReference } from '../template/index.js';
import { argFields, conditionAt, siteOf, templateAt, untilSite } from '../plan/task-templates.js';
import type { TemplateSite } from '../plan/task-templates.js';
import type { LoopSpec, Origin, TaskSpec } from './model.js';
import { posAt, posInScalar } from './yaml-source.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** The variable a loop's item is in when loop_control does not rename it (as in Ansible). */
const DEFAULT_LOOP_VAR = 'item';

/** What a task writes about its loop (the keys of the generated Task type that matter here). */
interface WrittenLoop {
  loop?: unknown[] | string;
  loop_control?: { loop_var?: string; index_var?: string; label?: string };
}

// `{{ expr }}` and nothing around it: the only string form that can give a list.
const WHOLE_TEMPLATE = /^\s*\{\{(?!\{)([\s\S]*?)\}\}\s*$/;

/** The expression inside a loop written as the template `{{expr}}`, with its column offset; undefined for other strings. */
export function loopExpression(over: string): { expr: string; offset: number } | undefined {
  const m = WHOLE_TEMPLATE.exec(over);
  if (!m || m[1]!.includes('{{') || m[1]!.includes('}}')) return undefined;
  return { expr: m[1]!, offset: over.indexOf('{{') + 2 };
}

/** The task's loop, normalized; a written form that cannot give a list is a problem at `loop:`. */
export function loopSpec(src: YamlSource, dataPath: DataPath, t: WrittenLoop, includedFrom: SourcePos[], problems: Diagnostic[]): LoopSpec | undefined {
  if (t.loop === undefined) {
    if (t.loop_control !== undefined) {
      problems.push({
        code: 'E_LOOP',
        severity: 'error',
        message: 'loop_control without loop',
        hint: 'Add loop: with the list to go over, or remove loop_control.',
        pos: posAt(src, [...dataPath, 'loop_control']),
      });
    }
    return undefined;
  }
  const loopPath = [...dataPath, 'loop'];
  const origin: Origin = { src, dataPath: loopPath, pos: posAt(src, loopPath), includedFrom };
  const c = t.loop_control ?? {};
  const spec: LoopSpec = { over: t.loop, loopVar: c.loop_var ?? DEFAULT_LOOP_VAR, indexVar: c.index_var, label: c.label, origin };
  if (typeof t.loop === 'string') checkLoopTemplate(t.loop, origin, problems);
  if (spec.indexVar !== undefined && spec.indexVar === spec.loopVar) {
    problems.push({
      code: 'E_LOOP',
      severity: 'error',
      message: `loop_control: index_var and loop_var are both "${spec.loopVar}"`,
      hint: 'Give the position a name of its own, for example index_var: idx.',
      pos: posAt(src, [...dataPath, 'loop_control', 'index_var']),
    });
  }
  return spec;
}

/** A string loop must be one `{{expr}}` whose expression compiles. */
function checkLoopTemplate(over: string, origin: Origin, problems: Diagnostic[]): void {
  const found = loopExpression(over);
  if (!found) {
    problems.push({
      code: 'E_LOOP',
      severity: 'error',
      message: `loop is the string ${JSON.stringify(over)}, not a list`,
      hint: 'Write a YAML list ([a, b], or one "- a" per line), or a template that gives one, such as loop: "{{files}}" or loop: "{{out.lines}}".',
      pos: origin.pos,
    });
    return;
  }
  try {
    compileCondition(found.expr);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const p = err.problem;
    const col = p.line === 1 ? p.col + found.offset : p.col;
    problems.push({ code: 'E_TEMPLATE', severity: 'error', message: `loop: ${p.message}`, hint: p.hint, pos: posInScalar(origin.src, origin.dataPath, p.line, col) });
  }
}

/** The names a task's loop defines for its templates. */
export function loopNames(task: TaskSpec): string[] {
  if (!task.loop) return [];
  return task.loop.indexVar === undefined ? [task.loop.loopVar] : [task.loop.loopVar, task.loop.indexVar];
}

/**
 * `item` read by a task without a loop (its arguments, when, until, or its rollback's), unless a
 * variable of that name is defined for it: an error at the exact place, with the way to loop.
 */
export function itemOutsideLoop(tasks: readonly TaskSpec[], defined: (name: string) => boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const task of tasks) {
    if (task.loop || Object.hasOwn(task.vars, DEFAULT_LOOP_VAR) || defined(DEFAULT_LOOP_VAR)) continue;
    const at = firstItemRead(task);
    if (!at) continue;
    out.push({
      code: 'E_LOOP',
      severity: 'error',
      message: `task "${task.name}" reads "${DEFAULT_LOOP_VAR}", which only a task with loop: defines`,
      hint: `Add loop: with the list to go over (loop: [a, b], or loop: "{{files}}"), or read another variable.`,
      pos: at,
    });
  }
  return out;
}

/** Where a task (or its rollback) first reads `item`, reading its templates as they are written. */
function firstItemRead(task: TaskSpec): SourcePos | undefined {
  for (const t of task.rollback ? [task, task.rollback] : [task]) {
    // Compiled through the plan's caches (the plan compiles the same strings); most never mention item.
    const sites: [TemplateSite, () => VarReference[]][] = [];
    for (const f of argFields(t)) {
      if (f.source.includes(DEFAULT_LOOP_VAR)) sites.push([f.site, () => (f.compiled ??= templateAt(f.source, f.mode, f.site)).references]);
    }
    for (const w of t.when) {
      const expr = w.expr;
      if (typeof expr === 'string' && expr.includes(DEFAULT_LOOP_VAR)) sites.push([siteOf(w.origin), () => conditionAt(expr, siteOf(w.origin)).references]);
    }
    if (t.until?.includes(DEFAULT_LOOP_VAR)) sites.push([untilSite(t), () => conditionAt(t.until!, untilSite(t)).references]);
    for (const [site, refs] of sites) {
      const ref = readsOf(refs).find((r) => r.root === DEFAULT_LOOP_VAR && !r.optional);
      if (ref) return posInScalar(site.src, site.dataPath, ref.line, ref.col);
    }
  }
  return undefined;
}

/** A template that does not compile is reported by the template checks; here it reads nothing. */
function readsOf(refs: () => VarReference[]): VarReference[] {
  try {
    return refs();
  } catch {
    return [];
  }
}

/** The variables a task's loop list reads (its template, or the templates in its written items). */
export function loopReads(task: TaskSpec): VarReference[] {
  const over = task.loop?.over;
  if (over === undefined) return [];
  if (typeof over === 'string') {
    const found = loopExpression(over);
    return found ? readsOf(() => compileCondition(found.expr).references) : [];
  }
  const out: VarReference[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(...readsOf(() => compileTemplate(v, 'text').references));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(over);
  return out;
}
