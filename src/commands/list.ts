// `kplay list`: the shipped playbooks and their variables; with -i, an inventory's hosts.
import { formatPlaybookList } from './list-format.js';
import { ExitCode, KplayError } from '../errors.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { listPlaybooks } from '../library.js';
import type { CommandIO, OutputFormat } from './io.js';
import { toJson } from './io.js';

/** What `kplay list` takes. */
export interface ListCommandOptions {
  output: OutputFormat;
  /** List this inventory's hosts (a file or k8s:[CONTEXT]) instead of the playbooks. */
  inventory?: string;
  limit?: string;
}

/** Prints the shipped playbooks, or an inventory's hosts; resolves to the exit code. */
export async function listCommand(opts: ListCommandOptions, io: CommandIO): Promise<number> {
  if (opts.inventory !== undefined) {
    const { formatHostList, listHosts } = await import('../inventory/host-list.js');
    const listing = listHosts(opts.inventory, opts.limit);
    if (listing.warnings.length && opts.output === 'text') io.err(formatDiagnostics(listing.warnings));
    io.out(opts.output === 'json' ? toJson(listing, io) : formatHostList(listing));
    return ExitCode.ok;
  }
  if (opts.limit !== undefined) throw new KplayError('E_USAGE', '--limit selects hosts of an inventory, and none was given', { hint: 'kplay list -i INVENTORY --limit PATTERNS.' });
  const list = listPlaybooks();
  io.out(opts.output === 'json' ? toJson(list, io) : formatPlaybookList(list));
  return ExitCode.ok;
}
