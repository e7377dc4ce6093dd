import type {
  BlockStatement,
  Expression,
  Hash,
  MustacheStatement,
  PathExpression,
  Program,
  SourceLocation,
  Statement,
  StripFlags,
} from './ast.js';
import { opNode, pathNode, stringNode } from './ast.js';
import { DISPATCH, HELPERS, INTERNAL, type HelperSpec } from './helpers.js';
import { checkCallArgs } from './static-check.js';
import { didYouMean } from '../text/suggest.js';
import { errorAt, type TemplateError } from './template-error.js';
import type { VarReference } from './types.js';

/** `{{{__kplay "op" expr ...}}}`: prints a value through one of kplay's output operations. */
export function outputStatement(op: string, expr: Expression, extra: Expression[], strip: StripFlags): MustacheStatement {
  return {
    type: 'MustacheStatement',
    path: pathNode(DISPATCH, expr.loc),
    params: [stringNode(op, expr.loc), expr, ...extra],
    escaped: false,
    strip,
    // Handlebars hands a helper the location of its statement; pointing it at the
    // expression makes errors such as "cannot insert a list" point at the variable.
    loc: expr.loc,
  };
}

/** Picks the operation that prints a mustache, by whether it was written `{{x}}` (escaped) or `{{{x}}}`. */
export type OutputHelper = (escaped: boolean) => string;

// Handlebars' own test for `this.x` / `./x`, which never name a helper or a block parameter.
const SCOPED = /^\.|this\b/;

/** The helper `path` names, such as `eq` in `(eq a b)`, or undefined when it names no helper kplay knows. */
export function helperName(path: Expression): string | undefined {
  if (path.type !== 'PathExpression' || path.data || path.depth !== 0 || path.parts.length !== 1) return undefined;
  const name = path.parts[0] as string;
  return path.original === name && Object.hasOwn(HELPERS, name) ? name : undefined;
}

function arity(spec: HelperSpec): string {
  if (spec.min === spec.max) return `${spec.min} argument${spec.min === 1 ? '' : 's'}`;
  if (spec.max === Infinity) return `at least ${spec.min} arguments`;
  return `${spec.min} or ${spec.max} arguments`;
}

const INLINE_NAMES = Object.keys(HELPERS).filter((n) => !(HELPERS[n] as HelperSpec).block);
const BLOCK_NAMES = Object.keys(HELPERS).filter((n) => (HELPERS[n] as HelperSpec).block);

/**
 * Checks a parsed template against what kplay supports, records the variables it reads,
 * and rewrites it in place so that every value goes through kplay's helpers: strict
 * variable reads (Handlebars' strict mode skips helper arguments) and mode-specific
 * printing of each mustache.
 */
export class Analyzer {
  readonly references: VarReference[] = [];
  /** False while the template has nothing but text and comments. */
  dynamic = false;
  // How many #each/#with bodies enclose the node being visited: paths there are relative
  // to an item, not to the variables.
  private contextDepth = 0;
  private readonly blockParams: string[][] = [];

  constructor(private readonly output: OutputHelper) {}

  /** Checks and rewrites a whole template body. */
  program(p: Program): void {
    p.body = p.body.map((s) => this.statement(s));
  }

  /** Checks and rewrites one expression (a condition). */
  expression(e: Expression): Expression {
    return this.value(e, false);
  }

  private statement(s: Statement): Statement {
    switch (s.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return s;
      case 'MustacheStatement':
        return this.mustache(s);
      case 'BlockStatement':
        return this.block(s);
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw errorAt(s.loc, 'partials ({{> name}}) are not supported in kplay templates');
      default:
        throw errorAt(s.loc, 'decorators ({{* name}}) are not supported in kplay templates');
    }
  }

  private mustache(m: MustacheStatement): MustacheStatement {
    this.dynamic = true;
    const expr = this.head(m);
    // The printing operation names a plain variable in its errors ("cannot insert "flags"").
    const label = m.path.type === 'PathExpression' && m.params.length === 0 && helperName(m.path) === undefined;
    return outputStatement(this.output(m.escaped), expr, label ? [stringNode((m.path as PathExpression).original, m.loc)] : [], m.strip);
  }

  private head(m: MustacheStatement): Expression {
    const { path, params, hash } = m;
    const name = helperName(path);
    if (name !== undefined) {
      const spec = HELPERS[name] as HelperSpec;
      if (spec.block) throw errorAt(path.loc, `"${name}" is a block helper`, `write ${spec.usage}`);
      return this.call(name, path as PathExpression, params, hash, path.loc, false);
    }
    if (params.length > 0 || (hash?.pairs.length ?? 0) > 0) throw this.notAHelper(path);
    return this.value(path, false);
  }

  private block(b: BlockStatement): BlockStatement {
    this.dynamic = true;
    const path = b.path;
    const name = helperName(path);
    if (name === undefined) {
      const shown = path.type === 'PathExpression' ? path.original : 'a literal';
      throw errorAt(path.loc, `unknown block helper "${shown}"`, `block helpers: ${BLOCK_NAMES.map((n) => `#${n}`).join(', ')}`);
    }
    const spec = HELPERS[name] as HelperSpec;
    if (!spec.block) {
      throw errorAt(path.loc, `"${name}" is not a block helper`, `use it inside one, e.g. {{#if (${name} a b)}}...{{/if}}`);
    }
    this.checkArity(name, spec, b.params.length, path as PathExpression);
    const params = b.params.map((p) => this.value(p, false));
    const hash = this.hash(b.hash);
    const changesContext = name === 'each' || name === 'with';
    if (b.program) {
      const names = b.program.blockParams ?? [];
      for (const n of names) {
        if (Object.hasOwn(HELPERS, n)) {
          throw errorAt(b.loc, `block parameter "${n}" hides the helper of the same name`, 'pick another name');
        }
      }
      if (changesContext) this.contextDepth++;
      this.blockParams.push(names);
      this.program(b.program);
      this.blockParams.pop();
      if (changesContext) this.contextDepth--;
    }
    // {{else}} runs in the enclosing context, even under #each and #with.
    if (b.inverse) this.program(b.inverse);
    const out: BlockStatement = { ...b, params };
    if (hash) out.hash = hash;
    return out;
  }

  private call(
    name: string,
    path: PathExpression,
    params: Expression[],
    hash: Hash | undefined,
    loc: SourceLocation | undefined,
    optional: boolean,
  ): Expression {
    const spec = HELPERS[name] as HelperSpec;
    this.checkArity(name, spec, params.length, path);
    const pair = hash?.pairs[0];
    if (pair && !spec.hash) throw errorAt(pair.loc, `"${name}" takes no named arguments (${pair.key}=)`, `usage: ${spec.usage}`);
    checkCallArgs(name, params, loc);
    // `default` is the one place a missing variable is expected; a `lookup` there may
    // miss too.
    const tolerant = optional && name === 'lookup';
    const args = params.map((p, i) => this.value(p, i === 0 && (name === 'default' || tolerant)));
    return opNode(DISPATCH, tolerant ? INTERNAL.lookupOpt : name, args, loc);
  }

  private hash(hash: Hash | undefined): Hash | undefined {
    if (!hash || hash.pairs.length === 0) return undefined;
    return { ...hash, pairs: hash.pairs.map((pair) => ({ ...pair, value: this.value(pair.value, false) })) };
  }

  private checkArity(name: string, spec: HelperSpec, count: number, path: PathExpression): void {
    if (count >= spec.min && count <= spec.max) return;
    let hint = `usage: ${spec.usage}`;
    if (count === 0 && !spec.block) hint += `; to read a variable named "${name}", write {{this.${name}}}`;
    throw errorAt(path.loc, `"${name}" takes ${arity(spec)}, got ${count}`, hint);
  }

  private value(e: Expression, optional: boolean): Expression {
    switch (e.type) {
      case 'PathExpression':
        return this.path(e, optional);
      case 'SubExpression': {
        const path = e.path;
        const name = helperName(path);
        if (name === undefined) throw this.notAHelper(path);
        if ((HELPERS[name] as HelperSpec).block) {
          throw errorAt(path.loc, `"${name}" is a block helper and cannot be called in ( )`, 'use (and ...), (or ...), (not ...) or (default ...) in expressions');
        }
        return this.call(name, path as PathExpression, e.params, e.hash, e.loc, optional);
      }
      default:
        return e;
    }
  }

  private path(p: PathExpression, optional: boolean): Expression {
    if (p.data) return optional ? p : this.check(p);
    if (p.depth > 0) {
      if (p.depth > this.contextDepth) {
        throw errorAt(
          p.loc,
          `"${p.original}" climbs above the top of the template`,
          `each ../ leaves one enclosing #each or #with; there ${this.contextDepth === 1 ? 'is 1' : `are ${this.contextDepth}`} here`,
        );
      }
      if (p.depth === this.contextDepth) this.record(p, optional);
      return optional ? p : this.check(p);
    }
    const head = p.parts[0];
    if (head !== undefined && !SCOPED.test(p.original) && this.blockParams.some((names) => names.includes(head))) {
      return optional ? p : this.check(p);
    }
    if (this.contextDepth === 0) this.record(p, optional);
    // Reads relative to the helper's `this`, which Handlebars sets to the current context.
    return opNode(DISPATCH, optional ? INTERNAL.opt : INTERNAL.get, p.parts.map((part) => stringNode(part, p.loc)), p.loc);
  }

  // Paths only Handlebars can resolve (data, ../, block parameters) are read by it,
  // without strictness, and then checked.
  private check(p: PathExpression): Expression {
    return opNode(DISPATCH, INTERNAL.check, [p, stringNode(p.original, p.loc)], p.loc);
  }

  private record(p: PathExpression, optional: boolean): void {
    const root = p.parts[0];
    if (root === undefined) return;
    this.references.push({
      root,
      path: [...p.parts],
      line: p.loc?.start.line ?? 1,
      col: (p.loc?.start.column ?? 0) + 1,
      optional,
    });
  }

  private notAHelper(path: Expression): TemplateError {
    if (path.type === 'PathExpression' && !path.data && path.depth === 0 && path.parts.length === 1 && path.original === path.parts[0]) {
      const name = path.parts[0];
      return errorAt(path.loc, `unknown helper "${name}"`, didYouMean(name, Object.keys(HELPERS)) ?? `helpers: ${INLINE_NAMES.join(', ')}`);
    }
    const shown = path.type === 'PathExpression' ? `"${path.original}"` : 'a literal';
    return errorAt(path.loc, `${shown} is not a helper and cannot take arguments`, `helpers: ${INLINE_NAMES.join(', ')}`);
  }
}
