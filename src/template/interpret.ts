// Most templates in playbooks are text with variables and helper calls. After the rewrite in
// analyze.ts, such a template is nothing but text and calls of kplay's own operations, and
// evaluating those calls directly gives exactly what Handlebars would, without the set-up that
// every Handlebars call does (helper tables, prototype guards): a 500-host plan renders several
// times faster. Templates with blocks, comments, whitespace control or escapes still go
// through Handlebars.
import type { Expression, Program } from './ast.js';
import { DISPATCH, invokeOp } from './helpers.js';

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
  return (context) => invokeOp(op, context, args.map((ev) => ev(context)), loc);
}

/** A renderer for a rewritten template, or undefined when only Handlebars can render it. */
export function programRenderer(program: Program, source: string): ((context: Record<string, unknown>) => string) | undefined {
  if (source.includes('\\{{') || source.includes('~')) return undefined;
  const parts: (string | Evaluator)[] = [];
  for (const st of program.body) {
    if (st.type === 'ContentStatement') {
      parts.push(st.value);
      continue;
    }
    if (st.type !== 'MustacheStatement' || st.path.type !== 'PathExpression' || st.path.original !== DISPATCH || st.hash?.pairs.length) {
      return undefined;
    }
    const ev = callEvaluator(st.params, st.loc);
    if (!ev) return undefined;
    parts.push(ev);
  }
  return (context) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : String(p(context));
    return out;
  };
}
