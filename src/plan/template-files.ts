import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { TaskSpec } from '../config/model.js';
import { displayPath, fileProblem, posAt } from '../config/yaml-source.js';
import { compileTemplate, TemplateError } from '../template/index.js';
import type { CompiledTemplate, TemplateProblem } from '../template/index.js';
import { taskKinds } from '../tasks/registry.js';

/** A template file as read: compiled, or the problem that keeps it from being used (its position still to be placed). */
type FileState = { compiled: CompiledTemplate } | { unreadable: unknown } | { problem: TemplateProblem };

/** The SHA-256 of a file's text, as a plan records the files it was built from. */
export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The template files (`template: {src}`) a plan renders to check them before anything runs: each
 * is read and compiled once per plan, and its checksum is kept for the plan's list of inputs.
 */
export class TemplateFiles {
  private readonly files = new Map<string, FileState>();
  /** Every file read: absolute path -> SHA-256 of its text. */
  readonly read = new Map<string, string>();

  /** The argument field of a task that names a template file, if its kind has one. */
  static fieldOf(task: TaskSpec): string | undefined {
    return taskKinds[task.kind].templateFile;
  }

  /**
   * Checks the template file a task names: that it can be read, that its syntax is right and,
   * given a context, that it renders with it. `src` is the rendered value of the field.
   */
  check(task: TaskSpec, src: string, context: Record<string, unknown> | undefined, add: (d: Diagnostic) => void): void {
    // As the task itself resolves it at run time: relative to the file the task is written in.
    const abs = path.resolve(path.dirname(task.origin.src.absPath), src);
    const state = this.load(abs);
    const field = TemplateFiles.fieldOf(task)!;
    if ('unreadable' in state) {
      add(fileProblem(abs, state.unreadable, posAt(task.origin.src, [...task.argsPath, field])));
      return;
    }
    let problem = 'problem' in state ? state.problem : undefined;
    if ('compiled' in state && context) {
      try {
        state.compiled.render(context);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        problem = err.problem;
      }
    }
    if (problem) add({ code: 'E_TEMPLATE', severity: 'error', message: problem.message, hint: problem.hint, pos: { file: displayPath(abs), line: problem.line, col: problem.col } });
  }

  private load(abs: string): FileState {
    let state = this.files.get(abs);
    if (state) return state;
    let text: string | undefined;
    try {
      text = readFileSync(abs, 'utf8');
      this.read.set(abs, sha256(text));
      state = { compiled: compileTemplate(text, 'text') };
    } catch (err) {
      if (err instanceof TemplateError) state = { problem: err.problem };
      else if (text === undefined) state = { unreadable: err };
      else throw err;
    }
    this.files.set(abs, state);
    return state;
  }
}

/** Checks the template files of tasks whose `src` is written plainly (no variables): they exist and their syntax is right. */
export function checkTemplateFileSyntax(tasks: TaskSpec[], problems: Diagnostic[]): void {
  const files = new TemplateFiles();
  const add = (d: Diagnostic): void => {
    if (!problems.some((p) => sameProblem(p, d))) problems.push(d);
  };
  for (const t of tasks.flatMap((task) => (task.rollback ? [task, task.rollback] : [task]))) {
    const field = TemplateFiles.fieldOf(t);
    const src = field === undefined ? undefined : (t.args as Record<string, unknown>)[field];
    if (typeof src === 'string' && !src.includes('{{')) files.check(t, src, undefined, add);
  }
}

/** The same message at the same place. */
export function sameProblem(a: Diagnostic, b: Diagnostic): boolean {
  return a.message === b.message && a.pos?.file === b.pos?.file && a.pos?.line === b.pos?.line && a.pos?.col === b.pos?.col;
}
