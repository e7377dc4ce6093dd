import { KplayError } from '../errors.js';
import type { TemplateProblem } from './types.js';
import type { SourceLocation } from './ast.js';

/** A template that cannot be compiled or rendered; `problem` says where, inside the template text. */
export class TemplateError extends KplayError {
  readonly problem: TemplateProblem;

  constructor(problem: TemplateProblem) {
    super('E_TEMPLATE', problem.message, { hint: problem.hint });
    this.name = 'TemplateError';
    this.problem = problem;
  }
}

/** A TemplateError at a Handlebars location (1-based lines, 0-based columns). */
export function errorAt(loc: SourceLocation | undefined, message: string, hint?: string): TemplateError {
  const problem: TemplateProblem = {
    message,
    line: loc?.start.line ?? 1,
    col: (loc?.start.column ?? 0) + 1,
  };
  if (hint !== undefined) problem.hint = hint;
  return new TemplateError(problem);
}
