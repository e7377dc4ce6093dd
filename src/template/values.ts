import { isRuntimeValue } from './runtime-value.js';

/** The text of a scalar (string, number, boolean, null -> ''); undefined for lists, maps and the rest. */
export function scalarText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return v === null ? '' : undefined;
  }
}

/** Truthiness as Handlebars' `#if` sees it: falsy JS values and empty lists are false. */
export function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

/** What kind of value this is, for error messages ("a list", "a map"). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'function') return 'a function';
  return `a ${typeof v}`;
}

const MAX_STRING = 40;
const MAX_ITEMS = 3;

/** A short rendering of a helper argument for RuntimeValue labels such as `eq(stdout of "x", "y")`. */
export function describe(v: unknown): string {
  if (isRuntimeValue(v)) return v.label;
  if (typeof v === 'string') return JSON.stringify(v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v);
  if (Array.isArray(v)) {
    const shown = v.slice(0, MAX_ITEMS).map(describe);
    if (v.length > MAX_ITEMS) shown.push('…');
    return `[${shown.join(', ')}]`;
  }
  if (v !== null && typeof v === 'object') return '{…}';
  return String(v);
}

/** The label of a helper call whose result depends on runtime values. */
export function describeCall(name: string, args: readonly unknown[]): string {
  return `${name}(${args.map(describe).join(', ')})`;
}
