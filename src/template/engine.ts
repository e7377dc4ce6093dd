import type { Expression, MustacheStatement, Position, Program } from './ast.js';
import { Analyzer, helperName, outputStatement, type OutputHelper } from './analyze.js';
import { CONDITION_DATA_KEY, env, HELPERS, INTERNAL, KNOWN_HELPERS, type ConditionBox } from './helpers.js';
import { expressionEvaluator, programRenderer } from './interpret.js';
import { isRuntimeValue, type RuntimeValue } from './runtime-value.js';
import { syntaxError, type SourceKind } from './syntax-errors.js';
import { errorAt, TemplateError } from './template-error.js';
import type { CompiledCondition, CompiledTemplate, TemplateMode } from './types.js';
import { truthy } from './values.js';

// Strictness is not Handlebars' `strict` option: the rewrite in analyze.ts reads every
// variable through kplay's own lookup, which also covers helper arguments and missing
// middle segments (`a.b.c` with no `a.b`), where Handlebars' strict mode either stays
// silent or crashes with a TypeError. Left non-strict, the few paths Handlebars still
// resolves itself (@data, ../, block parameters) are read null-safely and then checked.
const COMPILE_OPTIONS = {
  noEscape: true,
  knownHelpers: KNOWN_HELPERS,
  knownHelpersOnly: true,
};

type Template = ReturnType<typeof env.compile>;

const OUTPUT: Record<TemplateMode, OutputHelper> = {
  shell: (escaped) => (escaped ? INTERNAL.shell : INTERNAL.raw),
  text: () => INTERNAL.text,
};

function parse(source: string, shift: number, kind: SourceKind): Program {
  try {
    return env.parseWithoutProcessing(source) as unknown as Program;
  } catch (err) {
    throw syntaxError(err, source, shift, kind);
  }
}

function run(template: Template, context: Record<string, unknown>, data?: Record<string, unknown>): string {
  try {
    return data === undefined ? template(context) : template(context, { data });
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    const h = err as { lineNumber?: unknown; column?: unknown; message?: unknown };
    // Handlebars' own runtime errors (e.g. from #each) carry the location they were raised at.
    if (typeof h.lineNumber === 'number') {
      const column = typeof h.column === 'number' ? h.column : 0;
      const message = String(h.message).replace(/ - \d+:\d+$/, '');
      throw errorAt({ start: { line: h.lineNumber, column }, end: { line: h.lineNumber, column } }, message);
    }
    throw err;
  }
}

// Playbooks repeat the same template strings across tasks, hosts and the several passes that read
// them (reads, checks, planning): each is parsed once per process. Sources come from the files a
// run reads, so the caches stay as small as those. Only successes are kept; an error is thrown anew.
// Keyed by the source itself, one map per mode: a key made by joining mode and source would be a
// new string at every lookup, hashed again from its first character to its last.
const templateCache: Record<TemplateMode, Map<string, CompiledTemplate>> = { shell: new Map(), text: new Map() };
const conditionCache = new Map<string, CompiledCondition>();

/** Parses and checks a template once; the result renders it many times. Throws TemplateError on syntax errors. */
export function compileTemplate(source: string, mode: TemplateMode): CompiledTemplate {
  const cache = templateCache[mode];
  let t = cache.get(source);
  if (!t) {
    t = compileNew(source, mode);
    cache.set(source, t);
  }
  return t;
}

/**
 * The same template rendered by Handlebars alone, never by kplay's own evaluator: what the tests
 * hold that evaluator to.
 */
export function compileWithHandlebars(source: string, mode: TemplateMode): CompiledTemplate {
  return compileNew(source, mode, false);
}

function compileNew(source: string, mode: TemplateMode, evaluate = true): CompiledTemplate {
  // Without "{{" Handlebars sees one piece of text and gives it back as it is (its escapes and
  // comments all start with "{{"); most argument values (modes, paths, names) are such text.
  if (evaluate && !source.includes('{{')) return { source, mode, references: [], isConstant: true, render: () => source };
  const program = parse(source, 0, 'template');
  const analyzer = new Analyzer(OUTPUT[mode]);
  analyzer.program(program);
  const direct = evaluate && analyzer.dynamic ? programRenderer(program, source) : undefined;
  if (direct) return { source, mode, references: analyzer.references, isConstant: false, render: direct };
  const template = env.compile(program, COMPILE_OPTIONS);
  if (!analyzer.dynamic) {
    // Handlebars still has work to do on constant text (\{{ escapes, comments), so it
    // renders once here and never again.
    const text = run(template, {});
    return { source, mode, references: [], isConstant: true, render: () => text };
  }
  return {
    source,
    mode,
    references: analyzer.references,
    isConstant: false,
    render: (context) => run(template, context),
  };
}

// What kplay puts around a condition so Handlebars parses it as a helper argument.
const CONDITION_PREFIX = `{{${INTERNAL.cond} `;

// Locations come out relative to the wrapped text; users need them relative to theirs.
function unshift(node: unknown, shift: number, seen = new Set<Position>()): void {
  if (Array.isArray(node)) {
    for (const n of node) unshift(n, shift, seen);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' && value && typeof value === 'object') {
      for (const pos of [(value as { start: Position }).start, (value as { end: Position }).end]) {
        if (pos && pos.line === 1 && !seen.has(pos)) {
          pos.column = Math.max(0, pos.column - shift);
          seen.add(pos);
        }
      }
    } else if (typeof value === 'object') {
      unshift(value, shift, seen);
    }
  }
}

function conditionError(message: string, hint: string, line = 1, col = 1): TemplateError {
  return new TemplateError({ message, hint, line, col });
}

// `eq a b` reads as `(eq a b)`: a condition is one expression, so a bare helper name
// followed by arguments can only mean a call.
function conditionExpression(m: MustacheStatement): Expression {
  const [first, ...rest] = m.params;
  const hash = m.hash?.pairs.length ? m.hash : undefined;
  if (first === undefined) throw conditionError('empty condition', 'write an expression such as enabled or (eq mode "static-pod")');
  if (rest.length === 0 && hash === undefined) return first;
  const name = helperName(first);
  if (name !== undefined && !(HELPERS[name]?.block ?? false)) {
    const call: Expression = { type: 'SubExpression', path: first, params: rest, loc: first.loc };
    if (hash) call.hash = hash;
    return call;
  }
  const extra = rest[0] ?? hash;
  throw errorAt(extra?.loc, 'a condition must be a single expression', 'wrap helper calls in parentheses, e.g. (eq mode "static-pod")');
}

/** Parses and checks a `when:` / `until:` expression such as `(eq mode "static-pod")`. */
export function compileCondition(expr: string): CompiledCondition {
  let c = conditionCache.get(expr);
  if (!c) {
    c = compileNewCondition(expr);
    conditionCache.set(expr, c);
  }
  return c;
}

function compileNewCondition(expr: string): CompiledCondition {
  const trimmed = expr.trim();
  if (trimmed === '') throw conditionError('empty condition', 'write an expression such as enabled or (eq mode "static-pod")');
  if (trimmed.startsWith('{{')) {
    const at = expr.indexOf('{{');
    const before = expr.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    throw conditionError('a condition is an expression, not a template', 'drop the {{ }}: write (eq mode "x"), not {{eq mode "x"}}', line, col);
  }
  const program = parse(`${CONDITION_PREFIX}${expr}}}`, CONDITION_PREFIX.length, 'condition');
  unshift(program, CONDITION_PREFIX.length);
  const [statement, extra] = program.body;
  if (statement?.type !== 'MustacheStatement' || extra !== undefined) {
    throw errorAt(extra?.loc ?? statement?.loc, 'a condition must be a single expression', 'remove the }} and {{ inside it');
  }
  const analyzer = new Analyzer(() => INTERNAL.cond);
  const expression = analyzer.expression(conditionExpression(statement));
  const direct = expressionEvaluator(expression);
  if (direct) {
    return {
      source: expr,
      references: analyzer.references,
      value: direct,
      evaluate(context: Record<string, unknown>): boolean | RuntimeValue {
        const value = direct(context);
        return isRuntimeValue(value) ? value : truthy(value);
      },
    };
  }
  program.body = [outputStatement(INTERNAL.cond, expression, [], { open: false, close: false })];
  const template = env.compile(program, COMPILE_OPTIONS);
  const value = (context: Record<string, unknown>): unknown => {
    const box: ConditionBox = { value: undefined };
    run(template, context, { [CONDITION_DATA_KEY]: box });
    return box.value;
  };
  return {
    source: expr,
    references: analyzer.references,
    value,
    evaluate(context: Record<string, unknown>): boolean | RuntimeValue {
      const v = value(context);
      return isRuntimeValue(v) ? v : truthy(v);
    },
  };
}
