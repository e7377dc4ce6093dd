// The hosts of an inventory as `kplay list -i` shows them: where each is reached and where it came
// from, so that a cluster inventory can be checked before any playbook is planned on it.
import { InvalidInputError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { loadInventory } from './inventory.js';
import type { ClusterOptions, Inventory } from './inventory.js';
import { matchHosts, splitLimit } from './pattern.js';
import type { HostPlan } from '../plan/plan.js';
import { login } from '../plan/print.js';

/** One host of an inventory, as listed: what a plan says of it, without steps. */
export type HostSummary = Omit<HostPlan, 'steps'>;

/** An inventory's hosts (those --limit selects), and where they came from. */
export interface HostListing {
  inventory: string;
  /** The cluster whose Nodes the hosts are, in words; absent for a plain inventory file. */
  cluster?: string;
  hosts: HostSummary[];
  warnings: Diagnostic[];
}

/** Loads an inventory (a file or `k8s:[CONTEXT]`) and lists its hosts; throws InvalidInputError on bad input. */
export function listHosts(inventory: string, limit?: string, cluster: ClusterOptions = {}): HostListing {
  const { inv, names, problems } = selectHosts(inventory, limit, '--limit', cluster);
  const hosts = names.map((n) => {
    const h = inv.hosts.get(n)!;
    return { name: h.name, address: h.address, port: h.port, user: h.connection.user, groups: h.groups, ...(h.origin ? { origin: h.origin } : {}) };
  });
  return { inventory: inv.file, ...(inv.cluster ? { cluster: inv.cluster } : {}), hosts, warnings: problems };
}

/** An inventory loaded, and the names of the hosts that `limit` (given with `flag`) selects, all without it; throws InvalidInputError on bad input. */
export function selectHosts(inventory: string, limit: string | undefined, flag: string, cluster: ClusterOptions = {}): { inv: Inventory; names: string[]; problems: Diagnostic[] } {
  const loaded = loadInventory(inventory, cluster);
  const problems = [...loaded.problems];
  const inv = loaded.value;
  const names = inv && limit !== undefined ? matchHosts(inv, splitLimit(limit), { flag }, problems) : [...(inv?.hosts.keys() ?? [])];
  if (!inv || problems.some((p) => p.severity === 'error')) throw new InvalidInputError(problems);
  return { inv, names, problems };
}

/** The listing for people: a line per host, and where it came from under it. */
export function formatHostList(l: HostListing): string {
  const out = [`Hosts of ${l.inventory}${l.cluster ? ` (the Nodes of ${l.cluster})` : ''}: ${l.hosts.length}`];
  for (const h of l.hosts) {
    out.push(`${h.name}  ${login(h)}${h.groups.length ? `  groups ${h.groups.join(', ')}` : ''}`);
    if (h.origin) out.push(`  from ${h.origin}`);
  }
  return `${out.join('\n')}\n`;
}
