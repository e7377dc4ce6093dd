import type { RuntimeValue } from './runtime-value.js';

/** `shell` quotes every `{{x}}` for POSIX sh; `text` inserts values as they are. */
export type TemplateMode = 'shell' | 'text';

/** A variable a template reads; `path` holds every segment, root first (`host.name` -> ['host', 'name']). */
export interface VarReference {
  root: string;
  path: string[];
  /** 1-based, inside the template text. */
  line: number;
  /** 1-based, inside the template text. */
  col: number;
  /** True when the template copes with the variable being absent (first argument of `default`). */
  optional?: boolean;
}

/** What is wrong with a template and where, 1-based inside the template text. */
export interface TemplateProblem {
  message: string;
  hint?: string;
  line: number;
  col: number;
}

/** A template parsed and checked once, ready to render many times. */
export interface CompiledTemplate {
  readonly source: string;
  readonly mode: TemplateMode;
  /** Every variable the template reads outside `#each`/`#with` bodies, in source order. */
  readonly references: VarReference[];
  /** True when the template has no mustaches, so render() ignores its context. */
  readonly isConstant: boolean;
  /** Renders with the given variables; throws TemplateError (with position) on a missing variable. */
  render(context: Record<string, unknown>): string;
}

/** A `when:` / `until:` expression, parsed and checked once. */
export interface CompiledCondition {
  readonly source: string;
  readonly references: VarReference[];
  /** True or false, or the RuntimeValue the answer depends on when it is only known at run time. */
  evaluate(context: Record<string, unknown>): boolean | RuntimeValue;
  /** The expression's value as it is, not made true or false (what `loop: "{{expr}}"` goes over). */
  value(context: Record<string, unknown>): unknown;
}
