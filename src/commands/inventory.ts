// `kplay inventory show`: an inventory (kplay's, Ansible's INI or YAML, a cluster's Nodes) as kplay
// resolved it.
import { ExitCode } from '../errors.js';
import { formatInventoryView, showInventory } from '../inventory/inventory-show.js';
import { connectionSecretValues } from '../plan/secret-vars.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import type { CommandIO, OutputFormat } from './io.js';
import { toJson } from './io.js';

/** What `kplay inventory show` takes. */
export interface InventoryShowOptions {
  inventory: string;
  /** Only these hosts (names, groups or patterns, as --limit takes them). */
  host?: string;
  output: OutputFormat;
}

/** Prints the resolved hosts, groups and vars; resolves to the exit code. */
export async function inventoryShowCommand(opts: InventoryShowOptions, io: CommandIO): Promise<number> {
  const { view, inventory } = showInventory(opts.inventory, opts.host);
  // A var that happens to hold a password the connection settings name is masked like it.
  io.mask(connectionSecretValues([...inventory.hosts.values()].map((h) => h.connection), process.env));
  if (view.warnings.length && opts.output === 'text') io.err(formatDiagnostics(view.warnings));
  io.out(opts.output === 'json' ? toJson(view, io) : formatInventoryView(view));
  return ExitCode.ok;
}
