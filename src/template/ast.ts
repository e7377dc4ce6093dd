// The subset of Handlebars' AST that kplay reads and builds. Handlebars ships looser types
// (no SubExpression or literals in a mustache's path), so nodes are typed here instead.

/** 1-based line, 0-based column, as Handlebars records them. */
export interface Position {
  line: number;
  column: number;
}

/** Where a node sits in the template text. */
export interface SourceLocation {
  source?: string;
  start: Position;
  end: Position;
}

/** Whitespace-control flags (`{{~`, `~}}`). */
export interface StripFlags {
  open: boolean;
  close: boolean;
}

interface NodeBase {
  loc?: SourceLocation;
}

/** A template body or a block's body. */
export interface Program extends NodeBase {
  type: 'Program';
  body: Statement[];
  blockParams?: string[];
}

/** `{{x}}` or `{{{x}}}`. */
export interface MustacheStatement extends NodeBase {
  type: 'MustacheStatement';
  path: Expression;
  params: Expression[];
  hash?: Hash;
  escaped: boolean;
  strip: StripFlags;
}

/** `{{#helper ...}}...{{/helper}}`. */
export interface BlockStatement extends NodeBase {
  type: 'BlockStatement';
  path: Expression;
  params: Expression[];
  hash?: Hash;
  program?: Program;
  inverse?: Program;
  openStrip?: StripFlags;
  inverseStrip?: StripFlags;
  closeStrip?: StripFlags;
}

/** Literal text between mustaches. */
export interface ContentStatement extends NodeBase {
  type: 'ContentStatement';
  value: string;
  original: string;
}

/** `{{! ... }}`. */
export interface CommentStatement extends NodeBase {
  type: 'CommentStatement';
  value: string;
}

/** Partials and decorators, which kplay rejects. */
export interface UnsupportedStatement extends NodeBase {
  type: 'PartialStatement' | 'PartialBlockStatement' | 'Decorator' | 'DecoratorBlock';
}

/** Anything in a Program's body. */
export type Statement = MustacheStatement | BlockStatement | ContentStatement | CommentStatement | UnsupportedStatement;

/** `(helper a b)`. */
export interface SubExpression extends NodeBase {
  type: 'SubExpression';
  path: Expression;
  params: Expression[];
  hash?: Hash;
}

/** `a.b`, `this.x`, `../y`, `@index`. */
export interface PathExpression extends NodeBase {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}

/** `"text"`. */
export interface StringLiteral extends NodeBase {
  type: 'StringLiteral';
  value: string;
  original: string;
}

/** `42`. */
export interface NumberLiteral extends NodeBase {
  type: 'NumberLiteral';
  value: number;
  original: number;
}

/** `true` / `false`. */
export interface BooleanLiteral extends NodeBase {
  type: 'BooleanLiteral';
  value: boolean;
  original: boolean;
}

/** `undefined` / `null`. */
export interface EmptyLiteral extends NodeBase {
  type: 'UndefinedLiteral' | 'NullLiteral';
}

/** Anything that can be a parameter. */
export type Expression = PathExpression | SubExpression | StringLiteral | NumberLiteral | BooleanLiteral | EmptyLiteral;

/** `key=value` arguments. */
export interface Hash extends NodeBase {
  type: 'Hash';
  pairs: HashPair[];
}

/** One `key=value`. */
export interface HashPair extends NodeBase {
  type: 'HashPair';
  key: string;
  value: Expression;
}

/** A path naming one thing, for helper names. */
export function pathNode(name: string, loc: SourceLocation | undefined): PathExpression {
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
}

/** A string literal, for arguments kplay adds to rewritten calls. */
export function stringNode(value: string, loc: SourceLocation | undefined): StringLiteral {
  return { type: 'StringLiteral', value, original: value, loc };
}

/** `(helper "op" ...params)`: a call of one operation through kplay's dispatching helper. */
export function opNode(helper: string, op: string, params: Expression[], loc: SourceLocation | undefined): SubExpression {
  return { type: 'SubExpression', path: pathNode(helper, loc), params: [stringNode(op, loc), ...params], loc };
}
