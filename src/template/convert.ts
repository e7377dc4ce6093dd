// Conversions and comparisons behind the value helpers (int, float, bool, lt, eq, ...), free of
// Handlebars so that the template checker can run them on what a template's text already says.
import { isDeepStrictEqual } from 'node:util';
import { isRuntimeValue, runtimeKind } from './runtime-value.js';
import { valueKind, type ValueKind } from './value-kind.js';
import { kindOf } from './values.js';

/** Why a helper cannot work with these values; `arg` (0-based) is the argument to point at. */
export class ValueProblem extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly arg?: number,
  ) {
    super(message);
  }
}

// Decimal numbers only, as people write them and commands print them: "0x1f", "Infinity" and ""
// are words, not numbers. Surrounding whitespace is allowed (`wc -l` pads its count).
const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** The number a string holds, or undefined when it holds none. */
export function numberIn(s: string): number | undefined {
  return DECIMAL.test(s) ? Number(s) : undefined;
}

// Long strings are described, not quoted: a message must not carry a page of stdout, nor the
// start of a secret that output masking would only recognise whole.
const MAX_SHOWN = 60;

/** A value as error messages name it: `"abc"`, `5`, `true`, `a list`, `<stdout of "load">`. */
export function shown(v: unknown): string {
  if (isRuntimeValue(v)) return v.toString();
  if (typeof v === 'string') return v.length <= MAX_SHOWN ? JSON.stringify(v) : `a string of ${v.length} characters`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return kindOf(v);
}

/** The kind a value has, or will have when it is a placeholder whose kind is known. */
export function kindNow(v: unknown): ValueKind | undefined {
  return isRuntimeValue(v) ? runtimeKind(v) : valueKind(v);
}

// What to do instead depends on what cannot be ordered.
function unorderedHint(k: ValueKind | undefined): string {
  return k === 'list' || k === 'map' ? 'compare a field of it, or its (length x)' : 'true, false and null have no order: test them with (not x), (eq x false) or (eq x null)';
}

const NUMBER_HINT = 'a number compares with a number or with a string that holds one ("0.42"); a string that may hold a word compares with (eq x "word")';

/**
 * The two sides of `lt`/`gt`/`le`/`ge` as numbers or as strings: a number and a string that holds
 * a number compare as numbers, and so do two strings that both hold numbers ("10" > "9").
 */
export function ordered(name: string, a: unknown, b: unknown): [number, number] | [string, string] {
  for (const [i, v] of [a, b].entries()) {
    if (typeof v !== 'number' && typeof v !== 'string') {
      throw new ValueProblem(`${name} compares numbers or strings, got ${shown(a)} and ${shown(b)}`, unorderedHint(valueKind(v)), i);
    }
  }
  if (typeof a === 'number' && typeof b === 'number') return [a, b];
  const na = typeof a === 'number' ? a : numberIn(a as string);
  const nb = typeof b === 'number' ? b : numberIn(b as string);
  if (na !== undefined && nb !== undefined) return [na, nb];
  if (typeof a === 'string' && typeof b === 'string') return [a, b];
  const word = na === undefined ? 0 : 1;
  throw new ValueProblem(`${name} cannot compare ${shown(a)} with ${shown(b)}: ${shown(word === 0 ? a : b)} does not hold a number`, NUMBER_HINT, word);
}

/**
 * What `lt`/`gt`/`le`/`ge` can tell before all values are known: a side that will be a list, a map,
 * a boolean or null, or a number against a string that holds no number, can never compare.
 */
export function checkOrdered(name: string, a: unknown, b: unknown): void {
  const kinds = [kindNow(a), kindNow(b)];
  for (const [i, k] of kinds.entries()) {
    if (k !== undefined && k !== 'number' && k !== 'string') {
      throw new ValueProblem(`${name} compares numbers or strings, got ${withKind(a, kinds[0])} and ${withKind(b, kinds[1])}`, unorderedHint(k), i);
    }
  }
  numberAgainstWord(name, a, b, kinds, NUMBER_HINT);
}

// A placeholder is named by its label, and by its kind where that says why the call cannot work.
function withKind(v: unknown, k: ValueKind | undefined): string {
  if (!isRuntimeValue(v) || k === undefined || k === 'number' || k === 'string') return shown(v);
  return `${shown(v)} (${k === 'null' ? 'null' : `a ${k}`})`;
}

// A side known to be a number against a string already known to hold no number.
function numberAgainstWord(name: string, a: unknown, b: unknown, kinds: (ValueKind | undefined)[], hint: string): void {
  for (const [i, v] of [a, b].entries()) {
    if (typeof v === 'string' && kinds[1 - i] === 'number' && numberIn(v) === undefined) {
      const message = name === 'eq' || name === 'ne' ? `${name} compares ${shown(i === 0 ? b : a)}, a number, with ${shown(v)}, which holds no number: it is always ${name === 'ne'}` : `${name} cannot compare ${shown(a)} with ${shown(b)}: ${shown(v)} does not hold a number`;
      throw new ValueProblem(message, hint, i);
    }
  }
}

/** `eq`: equal values, where a number equals a string that holds the same number (`rc` 0 and "0"). */
export function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string') return numberIn(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return numberIn(a) === b;
  return isDeepStrictEqual(a, b);
}

/** What `eq`/`ne` can tell before all values are known: a number never equals a string that holds no number. */
export function checkEqual(name: string, a: unknown, b: unknown): void {
  numberAgainstWord(name, a, b, [kindNow(a), kindNow(b)], 'compare a number with a number, or a string (stdout) with a word');
}

/** `int`: a number or a string holding one, without its fraction (as Ansible's int does "3.7"). */
export function toInt(v: unknown): number {
  return Math.trunc(toFloat(v, 'int'));
}

/** `float`: a number or a string holding one. */
export function toFloat(v: unknown, name = 'float'): number {
  if (typeof v === 'number') return v;
  const n = typeof v === 'string' ? numberIn(v) : undefined;
  if (n === undefined) {
    const what = typeof v === 'string' ? `${shown(v)} does not hold a number` : `got ${shown(v)}, not a number or a string`;
    throw new ValueProblem(`${name}: ${what}`, `${name} reads decimal numbers such as "42", " 0.42 " or "-1e3"; use (default x 0) for a value that may be missing`, 0);
  }
  return n;
}

// Ansible's words for true and false (module_utils.parsing.convert_bool).
const TRUE_WORDS = new Set(['yes', 'y', 'on', 'true', 't', '1']);
const FALSE_WORDS = new Set(['no', 'n', 'off', 'false', 'f', '0']);

/** `bool`: true/false, 1/0, or one of Ansible's words (yes/no, on/off, true/false, 1/0, y/n, t/f). */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const word = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' ? String(v) : undefined;
  if (word !== undefined && TRUE_WORDS.has(word)) return true;
  if (word !== undefined && FALSE_WORDS.has(word)) return false;
  throw new ValueProblem(`bool: ${shown(v)} is not a yes/no value`, 'bool reads true/false, yes/no, on/off, 1/0 (any case); use (not (eq x "")) to test a text for being empty', 0);
}

/** Python's falsy values, for `(default x fallback true)` as for Ansible's `default(x, true)`. */
export function emptyish(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && !isRuntimeValue(v) && Object.keys(v).length === 0;
}
