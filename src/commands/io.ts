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

/** "1 change" or "3 changes". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
