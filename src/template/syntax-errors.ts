import { env } from './helpers.js';
import { TemplateError } from './template-error.js';
import type { TemplateProblem } from './types.js';

/** Whether the text being parsed is a whole template or a `when:` expression wrapped in `{{...}}`. */
export type SourceKind = 'template' | 'condition';

interface Place {
  line: number;
  /** 0-based, as Handlebars counts. */
  column: number;
}

interface ParserState {
  lexer?: { yylloc?: { first_line: number; first_column: number } };
}

// Handlebars' generated parser throws a bare Error and drops the location it computed,
// but leaves it on the (shared, synchronous) lexer, where it can be read right after.
function lexerPlace(): Place | undefined {
  const loc = (env as unknown as { Parser?: ParserState }).Parser?.lexer?.yylloc;
  return loc && typeof loc.first_line === 'number' ? { line: loc.first_line, column: loc.first_column } : undefined;
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function placeOf(source: string, index: number): Place {
  const starts = lineStarts(source);
  let line = 0;
  while (line + 1 < starts.length && (starts[line + 1] as number) <= index) line++;
  return { line: line + 1, column: index - (starts[line] as number) };
}

function indexOf(source: string, place: Place): number {
  const start = lineStarts(source)[place.line - 1];
  return start === undefined ? source.length : start + place.column;
}

// The first `{{` that is not closed before the next `{{` or the end.
function unclosedMustache(source: string): number {
  for (let i = source.indexOf('{{'); i !== -1; ) {
    if (i > 0 && source[i - 1] === '\\') {
      i = source.indexOf('{{', i + 2);
      continue;
    }
    const close = source.indexOf('}}', i + 2);
    const next = source.indexOf('{{', i + 2);
    if (close === -1 || (next !== -1 && next < close)) return i;
    i = source.indexOf('{{', close + 2);
  }
  return -1;
}

// The innermost `{{#name` still open at the end of the text.
function unclosedBlock(source: string): { name: string; index: number } | undefined {
  const stack: { name: string; index: number }[] = [];
  for (const m of source.matchAll(/\{\{~?\s*([#^/])\s*\*?\s*([^\s}~()]*)/g)) {
    if (m.index > 0 && source[m.index - 1] === '\\') continue;
    const [, sigil, name = ''] = m;
    if (sigil === '/') stack.pop();
    else if (name !== '') stack.push({ name, index: m.index });
  }
  return stack.at(-1);
}

// The last `(` before `end` that no `)` closes, skipping string literals.
function unclosedParen(source: string, end: number): number {
  const open: number[] = [];
  let quote: string | undefined;
  for (let i = source.lastIndexOf('{{', end); i >= 0 && i < end; i++) {
    const c = source[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '(') {
      open.push(i);
    } else if (c === ')') {
      open.pop();
    }
  }
  return open.at(-1) ?? -1;
}

const TOKEN_WORDS: Record<string, string> = {
  EOF: 'the end of the template',
  CLOSE: '}}',
  CLOSE_UNESCAPED: '}}}',
  CLOSE_RAW_BLOCK: '}}}}',
  OPEN_SEXPR: '(',
  CLOSE_SEXPR: ')',
  EQUALS: '=',
  SEP: '.',
  ID: 'a name',
  STRING: 'a string',
  NUMBER: 'a number',
  BOOLEAN: 'true or false',
  UNDEFINED: 'undefined',
  NULL: 'null',
  DATA: 'an @variable',
  OPEN_BLOCK_PARAMS: 'as |',
  CLOSE_BLOCK_PARAMS: '|',
  OPEN: '{{',
  OPEN_UNESCAPED: '{{{',
  OPEN_BLOCK: '{{#',
  OPEN_ENDBLOCK: '{{/',
  OPEN_INVERSE: '{{^',
  OPEN_INVERSE_CHAIN: '{{else ...',
  INVERSE: '{{else}}',
  OPEN_PARTIAL: '{{>',
  CONTENT: 'text',
  COMMENT: 'a comment',
};

const VALUE_TOKENS = new Set(['ID', 'STRING', 'NUMBER', 'BOOLEAN', 'UNDEFINED', 'NULL', 'DATA', 'OPEN_SEXPR']);

function expectedWords(expected: string[]): string {
  const words: string[] = [];
  if (expected.some((t) => VALUE_TOKENS.has(t))) words.push('a variable, a literal or a (helper call)');
  for (const t of expected) {
    const w = TOKEN_WORDS[t];
    if (!VALUE_TOKENS.has(t) && w !== undefined && !words.includes(w)) words.push(w);
  }
  const shown = words.slice(0, 4);
  return shown.length <= 1 ? (shown[0] ?? 'something else') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

interface Parsed {
  line: number | undefined;
  got: string | undefined;
  expected: string[];
}

function parseMessage(message: string): Parsed {
  const line = /^(?:Parse|Lexical) error on line (\d+)/.exec(message)?.[1];
  const got = /got '([^']+)'\s*$/.exec(message)?.[1];
  const expected = /Expecting (.*), got '/.exec(message)?.[1]?.split(/,\s*/).map((t) => t.replace(/^'|'$/g, '')) ?? [];
  return { line: line === undefined ? undefined : Number(line), got, expected };
}

function describeGot(got: string | undefined, source: string, at: number, kind: SourceKind): string {
  if (got === undefined) return 'text';
  if (got === 'INVALID') return JSON.stringify(source.slice(at, at + 1) || ' ');
  // A condition is parsed inside a `{{...}}` kplay adds, so its end shows up as `}}`.
  if (kind === 'condition' && (got === 'EOF' || (got === 'CLOSE' && at >= source.length - 2))) return 'the end of the condition';
  return TOKEN_WORDS[got] ?? got;
}

function reword(parsed: Parsed, source: string, at: number, kind: SourceKind, shift: number): { message: string; hint?: string; index?: number } {
  const { got, expected } = parsed;
  if (got === 'EOF' && expected.includes('OPEN_ENDBLOCK')) {
    const open = unclosedBlock(source);
    if (open) return { message: `{{#${open.name}}} is never closed`, hint: `add {{/${open.name}}} where the block ends`, index: open.index };
  }
  if (kind === 'template') {
    const open = unclosedMustache(source);
    if (open !== -1 && open <= at) return { message: 'unclosed {{', hint: 'every {{ needs a matching }}; write \\{{ for a literal {{', index: open };
  }
  if (got === 'CLOSE' && expected.includes('CLOSE_SEXPR') && !expected.includes('CLOSE')) {
    const open = unclosedParen(source, at);
    return { message: 'unclosed (', hint: 'add ) to end the helper call', ...(open === -1 ? {} : { index: open }) };
  }
  if (got === 'CLOSE_SEXPR') return { message: 'unexpected )', hint: 'there is no ( for it to close' };
  if (got === 'CLOSE' && expected.includes('CLOSE_UNESCAPED')) return { message: '{{{ must be closed with }}}' };
  if (got === 'CLOSE_UNESCAPED') return { message: '}}} closes a mustache opened with {{', hint: 'write {{x}} for a quoted value or {{{x}}} for raw text' };
  if (got === 'CLOSE' && /\{\{[{~#/^]?\s*$/.test(source.slice(0, at))) return { message: 'empty {{ }}', hint: 'put a variable or helper call inside, e.g. {{name}}' };
  if (got === 'OPEN_SEXPR' && /\{\{~?\s*$/.test(source.slice(0, at))) {
    return { message: 'a mustache cannot start with (', hint: 'call the helper directly: {{helper arg ...}}' };
  }
  const message = `unexpected ${describeGot(got, source, at, kind)}`;
  // A Jinja or Ansible filter, `{{ x | default('a') }}`: Handlebars has helpers, written first.
  const filter = /^\|\s*([A-Za-z_]\w*)/.exec(source.slice(at));
  if (kind === 'template' && filter) {
    return { message, hint: `templates are Handlebars, not Jinja: there are no | filters; write the helper before its arguments, as in {{default x "a"}} for x | default('a')` };
  }
  const hint = kind === 'condition' ? operatorHint(source.slice(shift, source.length - CONDITION_SUFFIX.length)) : undefined;
  if (hint) return { message, hint };
  return expected.length > 0 ? { message, hint: `expected ${expectedWords(expected)}` } : { message };
}

/** What kplay puts after a condition to parse it (see compileCondition). */
const CONDITION_SUFFIX = '}}';

/**
 * Habits from Jinja and Ansible: infix operators, which Handlebars spells as helpers. The example
 * is built from the condition as the user wrote it, not from the wrapper kplay parses it in.
 */
function operatorHint(condition: string): string | undefined {
  const infix = /\s(==|!=|>=|<=|&&|\|\||and|or|not|>|<)\s/.exec(condition);
  if (!infix) return undefined;
  const op = infix[1]!;
  const [left, right] = condition.split(infix[0]).map((x) => x.trim());
  const helper = { '==': 'eq', '!=': 'ne', '>': 'gt', '<': 'lt', '>=': 'ge', '<=': 'le', '&&': 'and', '||': 'or', and: 'and', or: 'or' }[op];
  const example = op === 'not' ? `(not ${right})` : `(${helper} ${left} ${right})`;
  return `conditions are Handlebars expressions, with helpers instead of operators: write ${example}`;
}

/**
 * Turns a Handlebars parse failure into a TemplateError worded for people, at the right
 * spot; `shift` is how many characters kplay put before the user's text on line 1.
 */
export function syntaxError(err: unknown, source: string, shift: number, kind: SourceKind): TemplateError {
  const prefix = kind === 'template' ? 'template syntax error' : 'condition syntax error';
  const problem = (place: Place, message: string, hint?: string): TemplateError => {
    const p: TemplateProblem = {
      message: `${prefix}: ${message}`,
      line: place.line,
      col: Math.max(1, place.column + 1 - (place.line === 1 ? shift : 0)),
    };
    if (hint !== undefined) p.hint = hint;
    return new TemplateError(p);
  };
  const raw = err instanceof Error ? err.message : String(err);
  const h = err as { lineNumber?: unknown; column?: unknown };

  // Errors Handlebars raises while building the AST carry their own location.
  if (typeof h.lineNumber === 'number') {
    const place = { line: h.lineNumber, column: typeof h.column === 'number' ? h.column : 0 };
    const text = raw.replace(/ - \d+:\d+$/, '');
    const mismatch = /^(\S+) doesn't match (\S+)$/.exec(text);
    if (mismatch) {
      const [, open, close] = mismatch;
      return problem(place, `{{#${open}}} is closed by {{/${close}}}`, `close it with {{/${open}}}`);
    }
    return problem(place, text);
  }

  const parsed = parseMessage(raw);
  if (parsed.line === undefined) return problem({ line: 1, column: 0 }, raw);
  const lexed = lexerPlace();
  const place = lexed && lexed.line === parsed.line ? lexed : { line: parsed.line, column: 0 };
  const at = indexOf(source, place);
  const r = reword(parsed, source, at, kind, shift);
  return problem(r.index === undefined ? place : placeOf(source, r.index), r.message, r.hint);
}
