import type { ValueKind } from './value-kind.js';

/** What a user-callable helper accepts, checked when a template is compiled. */
export interface HelperSpec {
  min: number;
  max: number;
  /** Used as `{{#name}}...{{/name}}` rather than inline. */
  block: boolean;
  /** Accepts `key=value` arguments. */
  hash: boolean;
  usage: string;
  /** The kind of value a call always gives, when there is one: lets comparisons of it be checked before a run. */
  result?: ValueKind;
}

/** The spec of an inline helper such as `(eq a b)`. */
export function inline(min: number, max: number, usage: string, result?: ValueKind): HelperSpec {
  return result === undefined ? { min, max, block: false, hash: false, usage } : { min, max, block: false, hash: false, usage, result };
}

/** The spec of a block helper such as `{{#if x}}...{{/if}}`. */
export function block(usage: string): HelperSpec {
  return { min: 1, max: 1, block: true, hash: true, usage };
}
