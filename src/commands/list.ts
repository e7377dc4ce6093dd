// `kplay list`: the shipped playbooks and their variables.
import { formatPlaybookList } from './list-format.js';
import { ExitCode } from '../errors.js';
import { listPlaybooks } from '../library.js';
import type { CommandIO, OutputFormat } from './io.js';
import { toJson } from './io.js';

/** Prints the shipped playbooks; resolves to the exit code. */
export async function listCommand(opts: { output: OutputFormat }, io: CommandIO): Promise<number> {
  const list = listPlaybooks();
  io.out(opts.output === 'json' ? toJson(list, io) : formatPlaybookList(list));
  return ExitCode.ok;
}
