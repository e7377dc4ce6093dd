// `kplay inventory show`: an inventory as kplay resolved it, whatever its format: each host with how
// it is reached, its groups in the order their vars apply, and its inventory vars with where each
// value comes from (so precedence can be checked, not guessed); the groups with their children
// expanded. Secrets show where they are read from, never a value.
import type { Diagnostic } from '../errors.js';
import { formatPos } from '../errors.js';
import { posAt } from '../config/yaml-source.js';
import type { SecretDecl } from '../config/model.js';
import { login } from '../plan/print.js';
import { selectHosts } from './host-list.js';
import type { ClusterOptions } from './inventory.js';
import type { Inventory, InventoryFormat, InventoryHost, VarsLayer } from './types.js';
import { groupLayers, inventoryLayers, ownLayers } from './var-layers.js';

/** One inventory variable of a host: its value and where it comes from. */
export interface VarView {
  name: string;
  value: unknown;
  /** "all", "group web" or "host". */
  from: string;
  /** file:line:col of the value, when known. */
  at?: string;
}

/** A host as resolved: how it is reached, its groups and vars. */
export interface HostView {
  name: string;
  address: string;
  port: number;
  user?: string;
  identityFile?: string;
  become?: boolean;
  jump?: string | string[];
  knownHosts?: string;
  hostKeyChecking?: string;
  /** Groups in the order their vars apply (outermost first). */
  groups: string[];
  vars: VarView[];
  /** Secrets by name: where each is read from (env NAME, file PATH), never the value. */
  secrets: Record<string, string>;
  origin?: string;
}

/** A group with its children and every host it holds through them. */
export interface GroupView {
  name: string;
  children: string[];
  hosts: string[];
  vars: Record<string, unknown>;
}

/** What `kplay inventory show` prints. */
export interface InventoryView {
  inventory: string;
  format: InventoryFormat;
  cluster?: string;
  hosts: HostView[];
  groups: GroupView[];
  warnings: Diagnostic[];
}

/** Loads an inventory and resolves what it says of the hosts `only` selects (default all); throws InvalidInputError on bad input. */
export function showInventory(file: string, only?: string, cluster: ClusterOptions = {}): { view: InventoryView; inventory: Inventory } {
  const { inv, names, problems } = selectHosts(file, only, '--host', cluster);
  const hosts = names.map((n) => hostView(inv, inv.hosts.get(n)!));
  const shown = new Set(hosts.flatMap((h) => h.groups));
  const groups = [...inv.groups]
    .filter(([name]) => only === undefined || shown.has(name))
    // Ansible's implicit group of hosts in no other group, when it has none, says nothing.
    .filter(([name, g]) => name !== 'ungrouped' || g.hosts.length > 0 || inv.format === undefined)
    .map(([name, g]) => ({ name, children: g.children ?? [], hosts: g.hosts, vars: g.vars }));
  const view: InventoryView = { inventory: inv.file, format: inv.format ?? 'kplay', ...(inv.cluster ? { cluster: inv.cluster } : {}), hosts, groups, warnings: problems };
  return { view, inventory: inv };
}

function hostView(inv: Inventory, h: InventoryHost): HostView {
  const c = h.connection;
  const settings = { user: c.user, identityFile: c.identityFile, become: c.become, jump: c.jump, knownHosts: c.knownHosts, hostKeyChecking: c.hostKeyChecking };
  const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  return { name: h.name, address: h.address, port: h.port, ...set, groups: h.groups, vars: varsOf(inv, h), secrets: secretsOf(inv, h), ...(h.origin ? { origin: h.origin } : {}) };
}

/** The host's inventory vars after precedence, each with the layer its value comes from. */
function varsOf(inv: Inventory, h: InventoryHost): VarView[] {
  const labelled: [string, VarsLayer][] = [
    ...inventoryLayers(inv).map((l): [string, VarsLayer] => ['all', l]),
    ...h.groups.flatMap((g) => groupLayers(inv, g).map((l): [string, VarsLayer] => [`group ${g}`, l])),
    ...ownLayers(inv, h).map((l): [string, VarsLayer] => ['host', l]),
  ];
  const out = new Map<string, VarView>();
  for (const [from, layer] of labelled) {
    for (const [name, value] of Object.entries(layer.vars)) {
      const pos = layer.keyPos?.[name] ?? (layer.src && layer.path ? posAt(layer.src, [...layer.path, name]) : undefined);
      out.set(name, { name, value, from, ...(pos ? { at: formatPos(pos) } : {}) });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function secretsOf(inv: Inventory, h: InventoryHost): Record<string, string> {
  const decls: SecretDecl[] = [...inv.secrets, ...h.groups.flatMap((g) => inv.groups.get(g)!.secrets), ...h.secrets];
  return Object.fromEntries(decls.map((d) => [d.name, 'env' in d.source ? `env ${d.source.env}` : `file ${d.source.file}`]));
}

const FORMATS: Record<InventoryFormat, string> = { kplay: "kplay's format", 'ansible-ini': "Ansible's INI format", 'ansible-yaml': "Ansible's YAML format" };

/** The view for people: a block per host, then the groups. */
export function formatInventoryView(v: InventoryView): string {
  const out = [`Inventory ${v.inventory} (${v.cluster ? `the Nodes of ${v.cluster}` : FORMATS[v.format]}): ${v.hosts.length} host${v.hosts.length === 1 ? '' : 's'}`];
  for (const h of v.hosts) {
    const flags = [h.become ? 'become' : '', h.identityFile ? `key ${h.identityFile}` : '', h.jump ? `jump ${[h.jump].flat().join(',')}` : '', h.knownHosts ? `known_hosts ${h.knownHosts}` : '', h.hostKeyChecking ? `host keys ${h.hostKeyChecking}` : ''];
    out.push('', `${h.name}  ${login(h)}${flags.filter(Boolean).map((f) => `  ${f}`).join('')}`);
    if (h.origin) out.push(`  from ${h.origin}`);
    out.push(`  groups: ${h.groups.length ? h.groups.join(', ') : '(none)'}`);
    if (h.vars.length) out.push('  vars:');
    for (const x of h.vars) out.push(`    ${x.name}: ${JSON.stringify(x.value)}  (${x.from}${x.at ? `, ${x.at}` : ''})`);
    for (const [name, from] of Object.entries(h.secrets)) out.push(`    ${name}: ******** (secret, ${from})`);
  }
  if (v.groups.length) out.push('', 'Groups:');
  for (const g of v.groups) {
    out.push(`  ${g.name}: ${g.hosts.length ? g.hosts.join(', ') : '(no hosts)'}${g.children.length ? `  (children: ${g.children.join(', ')})` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
