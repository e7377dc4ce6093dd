// Most templates in playbooks are text with variables and helper calls. After the rewrite in
// analyze.ts, such a template is nothing but text and calls of kplay's own operations, and
// evaluating those calls directly gives exactly what Handlebars would, without the set-up that
// every Handlebars call does (helper tables, prototype guards): a 500-host plan renders several
// times faster. #if and #unless blocks are evaluated here too (see programRenderer); #each,
// #with, whitespace control and escapes still go through Handlebars.
import type { Expression, Program } from './ast.js';
import { boundOp, DISPATCH, env } from './helpers.js';

/** Evaluates an expression against a context. */
export type Evaluator = (context: Record<string, unknown>) => unknown;

/** An evaluator for a rewritten expression, or undefined when only Handlebars can evaluate it. */
export function expressionEvaluator(e: Expression): Evaluator | undefined {
  switch (e.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral': {
      const value = e.value;
      return () => value;
    }
    case 'NullLiteral':
      return () => null;
    case 'UndefinedLiteral':
      return () => undefined;
    case 'SubExpression': {
      if (e.path.type !== 'PathExpression' || e.path.original !== DISPATCH || e.hash?.pairs.length) return undefined;
      return callEvaluator(e.params, e.loc);
    }
    default:
      return undefined;
  }
}

function callEvaluator(params: Expression[], loc: Expression['loc']): Evaluator | undefined {
  const [opNode, ...argNodes] = params;
  if (opNode?.type !== 'StringLiteral') return undefined;
  const op = opNode.value;
  const args: Evaluator[] = [];
  for (const a of argNodes) {
    const ev = expressionEvaluator(a);
    if (!ev) return undefined;
    args.push(ev);
  }
  // Operations read variables relative to `this`, which Handlebars sets to the context.
  const call = boundOp(op, loc);
  const [only] = args;
  if (args.length === 1) return (context) => call(context, [only!(context)]);
  return (context) => call(context, args.map((ev) => ev(context)));
}

type Part = string | Evaluator | Branch;

/** `{{#if}}` / `{{#unless}}`: which body renders, decided as Handlebars' own helpers decide. */
interface Branch {
  test: Evaluator;
  unless: boolean;
  then: Part[];
  otherwise: Part[];
}

/**
 * A renderer for a rewritten template, or undefined when only Handlebars can render it. Text,
 * comments, kplay's calls and #if / #unless blocks (with {{else}} and {{else if}}) are evaluated
 * here; Handlebars compiles a template to JavaScript source and then to a function, which V8
 * compiles anew in every process: for the shipped playbooks' templates with #if blocks that was
 * a tenth of `kplay validate`. #each and #with (new contexts and @data), escapes and `~` stay
 * with Handlebars.
 */
export function programRenderer(program: Program, source: string): ((context: Record<string, unknown>) => string) | undefined {
  if (source.includes('\\{{') || source.includes('~') || !interpretable(program)) return undefined;
  // Handlebars' own pass drops the line breaks and indentation around standalone {{#if}},
  // {{else}}, {{/if}} and comment lines; it changes the nodes in place, so it runs only once
  // nothing will be given to Handlebars.
  const parts = partsOf((env.parse as unknown as (ast: Program) => Program)(program));
  return (context) => render(parts, context);
}

function interpretable(program: Program): boolean {
  return program.body.every((st) => {
    switch (st.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return true;
      case 'MustacheStatement':
        return isCall(st.path, st.hash) && callEvaluator(st.params, st.loc) !== undefined;
      case 'BlockStatement': {
        const name = st.path.type === 'PathExpression' ? st.path.original : undefined;
        if ((name !== 'if' && name !== 'unless') || st.params.length !== 1 || st.hash?.pairs.length) return false;
        if (st.program?.blockParams?.length || st.inverse?.blockParams?.length) return false;
        return expressionEvaluator(st.params[0]!) !== undefined && (!st.program || interpretable(st.program)) && (!st.inverse || interpretable(st.inverse));
      }
      default:
        return false;
    }
  });
}

function isCall(path: Expression, hash: { pairs: unknown[] } | undefined): boolean {
  return path.type === 'PathExpression' && path.original === DISPATCH && !hash?.pairs.length;
}

function partsOf(program: Program | undefined): Part[] {
  const parts: Part[] = [];
  for (const st of program?.body ?? []) {
    if (st.type === 'ContentStatement') {
      if (st.value) parts.push(st.value);
    } else if (st.type === 'MustacheStatement') {
      parts.push(callEvaluator(st.params, st.loc)!);
    } else if (st.type === 'BlockStatement') {
      const name = (st.path as { original: string }).original;
      parts.push({ test: expressionEvaluator(st.params[0]!)!, unless: name === 'unless', then: partsOf(st.program), otherwise: partsOf(st.inverse) });
    }
    // A comment renders nothing.
  }
  return parts;
}

function render(parts: Part[], context: Record<string, unknown>): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (typeof p === 'function') out += String(p(context));
    else out += render(holds(p.test(context), context) !== p.unless ? p.then : p.otherwise, context);
  }
  return out;
}

/** Handlebars' #if: a function is called first; false, '', 0, null, undefined, NaN and [] do not hold. */
function holds(value: unknown, context: Record<string, unknown>): boolean {
  const v = typeof value === 'function' ? (value as (this: unknown) => unknown).call(context) : value;
  return Boolean(v) && !(Array.isArray(v) && v.length === 0);
}
