// An Ansible inventory (INI or YAML, with group_vars/ and host_vars/ beside it) as kplay's
// Inventory. Precedence as Ansible's: the group all, then a host's groups from the outermost to the
// innermost (by depth; by name among groups of one depth), then the host; for each group or host,
// the inventory file's own vars first and its group_vars/ or host_vars/ files after them.
import type { Diagnostic } from '../errors.js';
import type { YamlSource } from '../config/yaml-source.js';
import { displayPath } from '../config/yaml-source.js';
import { ALL, UNGROUPED } from './ansible-tree.js';
import type { AnsibleTree, PlacedVars } from './ansible-tree.js';
import { settleLayer } from './ansible-settings.js';
import type { HostSettings, SettledLayer } from './ansible-settings.js';
import { parseIniInventory } from './ini-inventory.js';
import { parseYamlInventory } from './ansible-yaml.js';
import { expandGroups, groupsOfHost } from './group-tree.js';
import type { GroupNode, GroupTree } from './group-tree.js';
import type { Inventory, InventoryFile, InventoryGroup, InventoryHost } from './types.js';
import { readVarsDirs } from './vars-dirs.js';

/** An Ansible inventory as written: INI text, or a parsed YAML document. */
export type AnsibleSource = { format: 'ansible-ini'; absPath: string; text: string } | { format: 'ansible-yaml'; src: YamlSource };

/** Reads an Ansible inventory and its vars folders; problems (errors and warnings) go into `problems`. */
export function ansibleInventory(source: AnsibleSource, problems: Diagnostic[]): Inventory {
  const absPath = source.format === 'ansible-ini' ? source.absPath : source.src.absPath;
  const file = displayPath(absPath);
  const tree = source.format === 'ansible-ini' ? parseIniInventory(source.text, file, problems) : parseYamlInventory(source.src, problems);
  const files: InventoryFile[] = [source.format === 'ansible-ini' ? { absPath, text: source.text } : source.src, ...readVarsDirs(absPath, tree, problems)];
  const allLayers = [...tree.groups.values(), ...tree.hosts.values()].flatMap((x) => x.vars);
  const settled = new Map<PlacedVars, SettledLayer>();
  for (const layer of allLayers) if (!settled.has(layer)) settled.set(layer, settleLayer(layer, problems));
  const groupTree = expandGroups(groupNodes(tree), { file, hostNames: new Set(tree.hosts.keys()), root: ALL }, problems);
  const inv: Inventory = {
    file,
    ...(source.format === 'ansible-yaml' ? { src: source.src } : {}),
    vars: merged(tree.groups.get(ALL)!.vars, settled),
    layers: tree.groups.get(ALL)!.vars.map((l) => settled.get(l)!.layer),
    secrets: [],
    hosts: new Map(),
    groups: new Map(),
    format: source.format,
    files,
  };
  for (const g of tree.groups.values()) if (g.name !== ALL) inv.groups.set(g.name, group(g.name, tree, groupTree, settled));
  for (const h of tree.hosts.values()) inv.hosts.set(h.name, host(h.name, tree, groupTree, settled));
  refuseSharedNames(inv, tree, problems);
  return inv;
}

/** The tree's groups for expanding; ungrouped holds the hosts no other group lists. */
function groupNodes(tree: AnsibleTree): Map<string, GroupNode> {
  const nodes = new Map<string, GroupNode>();
  const grouped = new Set([...tree.groups.values()].filter((g) => g.name !== ALL && g.name !== UNGROUPED).flatMap((g) => g.hosts));
  for (const g of tree.groups.values()) {
    const hosts = g.name === UNGROUPED ? [...tree.hosts.keys()].filter((h) => !grouped.has(h)) : g.name === ALL ? [] : g.hosts;
    nodes.set(g.name, { hosts, children: g.children });
  }
  return nodes;
}

function group(name: string, tree: AnsibleTree, groupTree: GroupTree, settled: Map<PlacedVars, SettledLayer>): InventoryGroup {
  const written = tree.groups.get(name)!;
  return {
    hosts: groupTree.hosts.get(name) ?? [],
    vars: merged(written.vars, settled),
    secrets: [],
    children: groupTree.children.get(name) ?? [],
    layers: written.vars.map((l) => settled.get(l)!.layer),
  };
}

function host(name: string, tree: AnsibleTree, groupTree: GroupTree, settled: Map<PlacedVars, SettledLayer>): InventoryHost {
  const written = tree.hosts.get(name)!;
  const groups = groupsOfHost(name, groupTree, (a, b) => a.localeCompare(b)).filter((g) => g !== ALL);
  const applying = [...tree.groups.get(ALL)!.vars, ...groups.flatMap((g) => tree.groups.get(g)!.vars), ...written.vars];
  const byVariable: Record<string, HostSettings> = Object.assign({}, ...applying.map((l) => settled.get(l)!.settings));
  const settings: HostSettings = Object.assign({}, ...Object.values(byVariable));
  const { address, ...connection } = settings;
  return {
    name,
    address: address ?? name,
    addressGiven: address !== undefined,
    port: connection.port ?? 22,
    connection,
    groups,
    vars: merged(written.vars, settled),
    secrets: [],
    pos: written.pos,
    layers: written.vars.map((l) => settled.get(l)!.layer),
  };
}

function merged(layers: PlacedVars[], settled: Map<PlacedVars, SettledLayer>): Record<string, unknown> {
  return Object.assign({}, ...layers.map((l) => settled.get(l)!.layer.vars));
}

/** A name of both a host and a group would make patterns and --limit mean two things; kplay's own format refuses it too. */
function refuseSharedNames(inv: Inventory, tree: AnsibleTree, problems: Diagnostic[]): void {
  for (const name of inv.groups.keys()) {
    if (!inv.hosts.has(name)) continue;
    problems.push({
      code: 'E_INVENTORY',
      severity: 'error',
      message: `"${name}" names both a host and a group`,
      hint: 'Rename the group or the host, so that host patterns and --limit mean one thing.',
      pos: tree.groups.get(name)!.pos,
    });
  }
}
