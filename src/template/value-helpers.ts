// The helpers that convert, compare and take text apart (int, lt, upper, regex_search, ...).
// Each says what its arguments must be, so that one routine checks them whatever is known:
// the template's literal text when it is compiled, the plan's values with placeholders for
// what only the run will tell, and the real values at run time.
import { checkEqual, checkOrdered, kindNow, looseEqual, ordered, shown, toBool, toFloat, toInt, ValueProblem } from './convert.js';
import { inline, type HelperSpec } from './helper-spec.js';
import { groupRef, regexFindall, regexOf, regexReplace, regexSearch, regexTest } from './regex.js';
import { isRuntimeValue, typedRuntimeValue, type RuntimeValue } from './runtime-value.js';
import type { ValueKind } from './value-kind.js';
import { describeCall, scalarText } from './values.js';

/** What one argument may be: the kinds it accepts, and a check of a known value beyond its kind. */
interface Param {
  accepts: readonly ValueKind[];
  /** What the argument is, for messages ("a text", "a list"). */
  is: string;
  check?: (v: unknown, args: readonly unknown[]) => void;
}

/** A helper of this module: its spec, its arguments, what it computes, and what it can tell early. */
export interface ValueHelper {
  spec: HelperSpec;
  params: readonly Param[];
  /** The answer, once every argument is known and accepted. */
  run(args: unknown[]): unknown;
  /** Problems knowable while some argument is a placeholder (the kinds are already checked). */
  early?(args: unknown[]): void;
}

const TEXT: Param = { accepts: ['string', 'number', 'boolean'], is: 'a text' };
const ANY: Param = { accepts: ['string', 'number', 'boolean', 'null', 'list', 'map'], is: 'a value' };
// A pattern is checked as soon as its text is known: a literal one when the template compiles.
const PATTERN: Param = { accepts: ['string'], is: 'a regular expression', check: (v) => regexOf(v as string) };

function text(v: unknown): string {
  return scalarText(v) as string;
}

function comparison(name: string, usage: string, test: (a: number | string, b: number | string) => boolean): ValueHelper {
  return {
    spec: inline(2, 2, usage, 'boolean'),
    params: [ANY, ANY],
    run: ([a, b]) => {
      const [x, y] = ordered(name, a, b);
      return test(x, y);
    },
    early: ([a, b]) => checkOrdered(name, a, b),
  };
}

function textOp(usage: string, result: ValueKind, op: (s: string) => unknown): ValueHelper {
  return { spec: inline(1, 1, usage, result), params: [TEXT], run: ([v]) => op(text(v)) };
}

function textTest(usage: string, op: (s: string, part: string) => boolean): ValueHelper {
  return { spec: inline(2, 2, usage, 'boolean'), params: [TEXT, TEXT], run: ([s, part]) => op(text(s), text(part)) };
}

function regexTestHelper(usage: string, anchored: boolean): ValueHelper {
  return { spec: inline(2, 2, usage, 'boolean'), params: [TEXT, PATTERN], run: ([s, p]) => regexTest(text(s), p as string, anchored) };
}

// The group of regex_search is checked against its pattern once both are known.
const GROUP: Param = {
  accepts: ['number', 'string'],
  is: 'a group number or name',
  check: (g, args) => {
    if (typeof args[1] === 'string') groupRef(g, regexOf(args[1]));
  },
};

// Replacement references (\1, \g<name>) are checked against the pattern once both are known.
const REPLACEMENT: Param = {
  accepts: ['string', 'number'],
  is: 'a text',
  check: (r, args) => {
    if (typeof args[1] === 'string') regexReplace('', args[1], text(r));
  },
};

function splitText(s: string, sep: unknown): string[] {
  if (sep === undefined) return s.trim() === '' ? [] : s.trim().split(/\s+/);
  const by = text(sep);
  if (by === '') throw new ValueProblem('split: the separator is empty', 'leave it out to split at runs of whitespace', 1);
  return s.split(by);
}

function lengthOf(v: unknown): number {
  if (typeof v === 'string') return [...v].length;
  return Array.isArray(v) ? v.length : Object.keys(v as object).length;
}

function contains(container: unknown, item: unknown): unknown {
  if (typeof container === 'string') {
    const part = scalarText(item);
    if (part === undefined) throw new ValueProblem(`contains: a text contains text, not ${shown(item)}`, undefined, 1);
    return container.includes(part);
  }
  if (Array.isArray(container)) {
    if (container.some(isRuntimeValue) || isRuntimeValue(item)) return lift('contains', [container, item]);
    return container.some((x) => looseEqual(x, item));
  }
  const key = scalarText(item);
  return key !== undefined && Object.hasOwn(container as object, key);
}

/** Every helper of this module, by name. */
export const VALUE_HELPERS: Readonly<Record<string, ValueHelper>> = {
  eq: { spec: inline(2, 2, '(eq a b)', 'boolean'), params: [ANY, ANY], run: ([a, b]) => looseEqual(a, b), early: ([a, b]) => checkEqual('eq', a, b) },
  ne: { spec: inline(2, 2, '(ne a b)', 'boolean'), params: [ANY, ANY], run: ([a, b]) => !looseEqual(a, b), early: ([a, b]) => checkEqual('ne', a, b) },
  lt: comparison('lt', '(lt a b)', (a, b) => a < b),
  le: comparison('le', '(le a b)', (a, b) => a <= b),
  gt: comparison('gt', '(gt a b)', (a, b) => a > b),
  ge: comparison('ge', '(ge a b)', (a, b) => a >= b),
  int: { spec: inline(1, 1, '(int x)', 'number'), params: [{ accepts: ['number', 'string'], is: 'a number', check: toInt }], run: ([v]) => toInt(v) },
  float: { spec: inline(1, 1, '(float x)', 'number'), params: [{ accepts: ['number', 'string'], is: 'a number', check: (v) => toFloat(v) }], run: ([v]) => toFloat(v) },
  bool: { spec: inline(1, 1, '(bool x)', 'boolean'), params: [{ accepts: ['boolean', 'string', 'number'], is: 'a yes/no value', check: toBool }], run: ([v]) => toBool(v) },
  upper: textOp('{{upper x}}', 'string', (s) => s.toUpperCase()),
  lower: textOp('{{lower x}}', 'string', (s) => s.toLowerCase()),
  trim: textOp('{{trim x}}', 'string', (s) => s.trim()),
  split: { spec: inline(1, 2, '(split text ",")', 'list'), params: [TEXT, TEXT], run: ([s, sep]) => splitText(text(s), sep) },
  length: { spec: inline(1, 1, '(length x)', 'number'), params: [{ accepts: ['string', 'list', 'map'], is: 'a text, a list or a map' }], run: ([v]) => lengthOf(v) },
  startswith: textTest('(startswith text "prefix")', (s, p) => s.startsWith(p)),
  endswith: textTest('(endswith text "suffix")', (s, p) => s.endsWith(p)),
  contains: { spec: inline(2, 2, '(contains list item)', 'boolean'), params: [{ accepts: ['string', 'list', 'map'], is: 'a text, a list or a map' }, ANY], run: ([c, i]) => contains(c, i) },
  regex_search: { spec: inline(2, 3, '{{regex_search text "pattern" [group]}}'), params: [TEXT, PATTERN, GROUP], run: ([s, p, g]) => regexSearch(text(s), p as string, g) },
  regex_replace: { spec: inline(3, 3, '{{regex_replace text "pattern" "replacement"}}', 'string'), params: [TEXT, PATTERN, REPLACEMENT], run: ([s, p, r]) => regexReplace(text(s), p as string, text(r)) },
  regex_findall: { spec: inline(2, 2, '(regex_findall text "pattern")', 'list'), params: [TEXT, PATTERN], run: ([s, p]) => regexFindall(text(s), p as string) },
  match: regexTestHelper('(match text "pattern")', true),
  search: regexTestHelper('(search text "pattern")', false),
};

function lift(name: string, args: readonly unknown[]): RuntimeValue {
  return typedRuntimeValue(describeCall(name, args), VALUE_HELPERS[name]?.spec.result);
}

function checkParams(name: string, h: ValueHelper, args: unknown[]): void {
  // A plain loop, with ANY skipped: eq and ne run once per host and task in `when`s of large plans.
  for (let i = 0; i < args.length; i++) {
    const p = h.params[i] ?? ANY;
    if (p === ANY) continue;
    const v = args[i];
    const kind = kindNow(v);
    if (kind !== undefined && !p.accepts.includes(kind)) {
      throw new ValueProblem(`${name}: argument ${i + 1} must be ${p.is}, got ${shown(v)}${isRuntimeValue(v) ? ` (${kind === 'null' ? 'null' : `a ${kind}`})` : ''}`, `usage: ${h.spec.usage}`, i);
    }
    if (kind === undefined && !isRuntimeValue(v)) {
      throw new ValueProblem(`${name}: argument ${i + 1} has no value`, 'wrap it in (default x fallback) if it may be missing', i);
    }
    if (p.check && !isRuntimeValue(v)) p.check(v, args);
  }
}

/**
 * Calls a helper of this module. With a placeholder among the arguments the answer is a
 * placeholder too, once every problem that can be known already has been raised.
 */
export function callValueHelper(name: string, args: unknown[]): unknown {
  const h = VALUE_HELPERS[name] as ValueHelper;
  checkParams(name, h, args);
  if (!args.some(isRuntimeValue)) return h.run(args);
  h.early?.(args);
  return lift(name, args);
}
