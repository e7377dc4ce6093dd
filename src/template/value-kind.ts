/** The kinds of value a template works with, as helpers check them. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'null' | 'list' | 'map';

/** The kind of a value; undefined for undefined and anything that is not template data. */
export function valueKind(v: unknown): ValueKind | undefined {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      if (v === null) return 'null';
      return Array.isArray(v) ? 'list' : 'map';
    default:
      return undefined;
  }
}
