// What every command writes to, and the two forms it writes in.

/** text for people, json for programs. */
export type OutputFormat = 'text' | 'json';

/** Where a command's output goes (the CLI's stdout and stderr, or a test's buffers). */
export interface CommandIO {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  /** Values no output may show from now on (secrets, once known): they are masked as ********. */
  mask(values: readonly string[]): void;
  /** Show stack traces of internal errors. */
  debug?: boolean;
}

/** JSON for people on a terminal (indented), compact for programs: a 500-host plan is half the size. */
export function toJson(value: unknown, io: Pick<CommandIO, 'isTTY'>): string {
  return `${JSON.stringify(value, null, io.isTTY ? 2 : undefined)}\n`;
}

/**
 * A value already written as compact JSON (a host of a plan, say): writeJson writes the text as it
 * is; anything else that makes JSON of it (toJson, JSON.stringify) reads it back as the value.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** The compact JSON of a value, or undefined where JSON.stringify leaves it out. */
function compact(v: unknown): string | undefined {
  return v instanceof JsonText ? v.text : JSON.stringify(v);
}

/**
 * Writes what toJson gives, in pieces: compact JSON goes out member by member and, for a list, item
 * by item, so that a 500-host plan (10 MB) never becomes one string and one buffer of that size
 * (building and encoding them took a fifth of `kplay plan -o json`). Each piece is whole JSON
 * values, so masking secrets piece by piece misses none.
 */
export function writeJson(value: unknown, io: Pick<CommandIO, 'isTTY' | 'out'>): void {
  if (io.isTTY || !isPlainObject(value)) {
    io.out(toJson(value, io));
    return;
  }
  let sep = '{';
  for (const [key, member] of Object.entries(value)) {
    if (Array.isArray(member)) {
      io.out(`${sep}${JSON.stringify(key)}:[`);
      // Items JSON cannot show (undefined, functions) are null in a list, as JSON.stringify has them.
      member.forEach((item, i) => io.out(`${i ? ',' : ''}${compact(item) ?? 'null'}`));
      io.out(']');
    } else {
      const json = compact(member);
      if (json === undefined) continue; // a member JSON.stringify leaves out
      io.out(`${sep}${JSON.stringify(key)}:${json}`);
    }
    sep = ',';
  }
  io.out(sep === '{' ? '{}\n' : '}\n');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/** "1 change" or "3 changes". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
