// The hint for a Jinja filter (`{{ x | upper }}`, `when: out.stdout | int`): kplay's templates are
// Handlebars, where the same thing is a helper written before its arguments. The hint rewrites
// what the user wrote, so the fix can be copied, and names a helper only when kplay has one (the
// helper table grows, so it is read here rather than listed).
import { HELPERS } from './helpers.js';

/** Ansible filters whose kplay helper has another name. */
const FILTER_HELPERS: Readonly<Record<string, string>> = {
  d: 'default',
  to_json: 'json',
  to_nice_json: 'json',
};

/** What follows a `|`: the filter's name, its arguments if it has a parenthesised list, and the length of the call. */
function filterCall(after: string): { name: string; args: string[]; length: number } | undefined {
  const m = /^\|\s*([A-Za-z_]\w*)(\s*\()?/.exec(after);
  if (!m) return undefined;
  const name = m[1]!;
  const close = m[2] ? closingParen(after, m[0].length) : -1;
  if (close < 0) return { name, args: [], length: m[0].length - (m[2]?.length ?? 0) };
  return { name, args: splitArgs(after.slice(m[0].length, close)), length: close + 1 };
}

function closingParen(text: string, from: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

// Jinja's 'single quotes' become Handlebars' "double quotes"; commas between arguments become spaces.
function splitArgs(list: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const c of list) {
    if (quote !== undefined) {
      cur += c === quote ? '"' : c;
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += '"';
    } else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/**
 * The hint for a `|` at `at` in `source`, or undefined when no filter name follows it.
 * `operandStart` is where the filtered value begins (after `{{`, or the start of a condition).
 */
export function jinjaFilterHint(source: string, at: number, operandStart: number, kind: 'template' | 'condition'): string | undefined {
  const call = filterCall(source.slice(at));
  if (!call) return undefined;
  const operand = source.slice(operandStart, at).trim() || 'x';
  const helper = FILTER_HELPERS[call.name] ?? call.name;
  const written = `${operand} ${source.slice(at, at + call.length)}`;
  const lead = `${kind === 'template' ? 'templates' : 'conditions'} are Handlebars, not Jinja: there are no | filters; write the helper before its arguments`;
  if (!(helper in HELPERS) || HELPERS[helper]!.block) {
    const example = kind === 'template' ? '{{default x "a"}}' : '(default x "a")';
    return `${lead}, as in ${example} for x | default('a'); kplay has no "${call.name}" helper (the README's Templates section lists them)`;
  }
  const expr = [helper, operand, ...call.args].join(' ');
  return `${lead}: ${kind === 'template' ? `{{${expr}}}` : `(${expr})`} for ${written}`;
}

/** Where the value a `|` filters begins in a template: after the `{{` (or `{{{`, `{{~`) that holds it. */
export function mustacheStart(source: string, at: number): number {
  const open = source.lastIndexOf('{{', at);
  if (open < 0) return 0;
  let i = open + 2;
  while (source[i] === '{' || source[i] === '~') i++;
  return i;
}
