// The templating engine: Handlebars in a private environment, shell-quoting by default,
// strict about missing variables, with RuntimeValue placeholders for dry-run plans.
export type { CompiledCondition, CompiledTemplate, TemplateMode, TemplateProblem, VarReference } from './types.js';
export { compileCondition, compileTemplate } from './engine.js';
export { isRuntimeValue, runtimeObject, runtimeOfKind, runtimeResult, RuntimeValue } from './runtime-value.js';
export { shellQuote } from './shell-quote.js';
export { TemplateError } from './template-error.js';
