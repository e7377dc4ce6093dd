import type { Diagnostic } from '../errors.js';
import type { Origin, TaskSpec } from '../config/model.js';
import { posAt, posInScalar } from '../config/yaml-source.js';
import type { DataPath, YamlSource } from '../config/yaml-source.js';
import { compileCondition, compileTemplate, TemplateError } from '../template/index.js';
import type { CompiledCondition, CompiledTemplate, TemplateMode, TemplateProblem } from '../template/index.js';
import { taskKinds } from '../tasks/registry.js';

/** A template problem placed in the user's file. */
export class PlacedTemplateError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** Where a template is written: the YAML source and the path of the scalar holding it. */
export interface TemplateSite {
  src: YamlSource;
  dataPath: DataPath;
}

/** Turns a problem inside a template into a diagnostic at the exact file:line:col. */
export function placeProblem(site: TemplateSite, problem: TemplateProblem, context = ''): Diagnostic {
  return {
    code: 'E_TEMPLATE',
    severity: 'error',
    message: `${context}${problem.message}`,
    hint: problem.hint,
    pos: posInScalar(site.src, site.dataPath, problem.line, problem.col),
  };
}

/** Compiles (or reuses: compileTemplate keeps each source once) a template; syntax errors come back placed in the file. */
export function templateAt(source: string, mode: TemplateMode, site: TemplateSite): CompiledTemplate {
  try {
    return compileTemplate(source, mode);
  } catch (err) {
    throw placed(err, site);
  }
}

/** Compiles (or reuses) a `when`/`until` expression. */
export function conditionAt(expr: string, site: TemplateSite): CompiledCondition {
  try {
    return compileCondition(expr);
  } catch (err) {
    throw placed(err, site);
  }
}

/** Re-throws a TemplateError as a placed one; anything else is a bug and passes through. */
export function placed(err: unknown, site: TemplateSite, context = ''): unknown {
  return err instanceof TemplateError ? new PlacedTemplateError(placeProblem(site, err.problem, context)) : err;
}

/** A string inside a task's arguments that is a template, with where it is written and how it renders. */
export interface ArgField {
  /** Compiled on first use and kept: planning renders the same field once per host. */
  compiled?: CompiledTemplate;
  /** Path inside the normalized args, e.g. ['env', 'HOME']. */
  field: (string | number)[];
  source: string;
  mode: TemplateMode;
  site: TemplateSite;
}

// Planning asks for the same task's fields once per host.
const fieldCache = new WeakMap<TaskSpec, ArgField[]>();

/** Every templated string in a task's arguments. */
export function argFields(task: TaskSpec): ArgField[] {
  const cached = fieldCache.get(task);
  if (cached) return cached;
  const shellFields = taskKinds[task.kind].shellFields;
  const out: ArgField[] = [];
  const walk = (value: unknown, field: (string | number)[]): void => {
    if (typeof value === 'string') {
      const dataPath = task.argsShorthand ? task.argsPath : [...task.argsPath, ...field];
      out.push({
        field,
        source: value,
        mode: shellFields.includes(field.join('.')) ? 'shell' : 'text',
        site: { src: task.origin.src, dataPath },
      });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...field, i]));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...field, k]);
    }
  };
  walk(task.args, []);
  fieldCache.set(task, out);
  return out;
}

/** Where a task's `until` is written. */
export function untilSite(task: TaskSpec): TemplateSite {
  return { src: task.origin.src, dataPath: [...task.origin.dataPath, 'until'] };
}

/** Checks the syntax of every template of a task (arguments, when, until, rollback), collecting all problems. */
export function checkTaskTemplates(task: TaskSpec, problems: Diagnostic[]): void {
  const attempt = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof PlacedTemplateError) problems.push(err.diagnostic);
      else throw err;
    }
  };
  for (const f of argFields(task)) attempt(() => checkLiteral(task, f, templateAt(f.source, f.mode, f.site), problems));
  for (const w of task.when) if (typeof w.expr === 'string') attempt(() => conditionAt(w.expr as string, siteOf(w.origin)));
  if (task.until !== undefined) attempt(() => conditionAt(task.until!, untilSite(task)));
  for (const c of [...task.failedWhen, ...task.changedWhen]) if (typeof c.expr === 'string') attempt(() => conditionAt(c.expr as string, siteOf(c.origin)));
  if (task.rollback) checkTaskTemplates(task.rollback, problems);
}

/**
 * A field written without a template is checked as written, against the kind's renderedChecks (a
 * lineinfile regexp that does not compile): before connecting, at the field's file:line:col.
 */
function checkLiteral(task: TaskSpec, f: ArgField, t: CompiledTemplate, problems: Diagnostic[]): void {
  const wrong = t.isConstant ? taskKinds[task.kind].renderedChecks?.[f.field.join('.')]?.(f.source) : undefined;
  if (!wrong) return;
  problems.push({ code: 'E_TASK', severity: 'error', message: `${f.field.join('.')}: ${wrong}`, hint: 'The value is used as written here; correct it in the file.', pos: posAt(f.site.src, f.site.dataPath) });
}

/** The template site of something with an origin. */
export function siteOf(origin: Origin): TemplateSite {
  return { src: origin.src, dataPath: origin.dataPath };
}
