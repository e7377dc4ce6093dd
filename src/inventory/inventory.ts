import path from 'node:path';
import type { Diagnostic, SourcePos } from '../errors.js';
import type { Loaded } from '../config/model.js';
import { secretDecls } from '../config/secrets.js';
import type { KplayInventory } from '../config/inventory.generated.js';
import { checkSchema } from '../config/schema-check.js';
import { keyPos, loadYamlFile, posAt } from '../config/yaml-source.js';
import type { YamlSource } from '../config/yaml-source.js';
import { suggest } from '../text/suggest.js';
import { ansibleInventory } from './ansible-inventory.js';
import { iniInventoryText, isAnsibleYaml } from './inventory-format.js';
import { expandGroups, groupsOfHost } from './group-tree.js';
import type { GroupNode } from './group-tree.js';
import { CONTROL_PLANE_GROUP, WORKERS_GROUP } from './kube-nodes.js';
import type { KubeNode } from './kube-nodes.js';
import { clusterSpecFromArg, clusterSpecFromSettings, describeCluster, isClusterArg, listClusterNodes } from './kube-source.js';
import type { ClusterSpec, KubectlRunner } from './kube-source.js';

export type { ConnectionSettings, Inventory, InventoryFile, InventoryFormat, InventoryGroup, InventoryHost, VarsLayer } from './types.js';
import type { ConnectionSettings, Inventory, InventoryHost } from './types.js';

/** Names that mean something in host patterns and so cannot name a group. */
const RESERVED = new Set(['all']);

/** How a cluster inventory lists its Nodes; tests pass their own kubectl. */
export interface ClusterOptions {
  run?: KubectlRunner;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads and checks an inventory: a file, or `k8s:[CONTEXT]` for the Nodes of a cluster. A file with
 * a `cluster:` mapping lists the Nodes too, its hosts adding settings to them.
 */
export function loadInventory(file: string, cluster: ClusterOptions = {}): Loaded<Inventory> {
  if (isClusterArg(file)) return clusterArgInventory(file, cluster);
  const problems: Diagnostic[] = [];
  const ini = iniInventoryText(file);
  if (ini !== undefined) return { value: ansibleInventory({ format: 'ansible-ini', absPath: path.resolve(file), text: ini }, problems), problems };
  const src = loadYamlFile(file, problems);
  if (!src) return { problems };
  return inventoryFromSource(src, problems, cluster);
}

/** `-i k8s:[CONTEXT]`: the Nodes alone, ~/.ssh/config giving what else SSH needs. */
function clusterArgInventory(arg: string, opts: ClusterOptions): Loaded<Inventory> {
  const spec = clusterSpecFromArg(arg, opts.env);
  const listed = listClusterNodes(spec, opts.run);
  if (!listed.nodes) return { problems: [listed.problem!] };
  const problems: Diagnostic[] = [];
  const inv: Inventory = { file: arg, vars: {}, secrets: [], hosts: new Map(), groups: new Map(), cluster: describeCluster(spec) };
  addNodes(inv, listed.nodes, { defaults: {} }, problems);
  return { value: inv, problems };
}

/**
 * Checks an already parsed inventory; problems are appended to `problems`. With `cluster`, a
 * `cluster:` mapping lists the cluster's Nodes (kubectl); without, the file is checked alone.
 */
export function inventoryFromSource(src: YamlSource, problems: Diagnostic[] = [], cluster?: ClusterOptions): Loaded<Inventory> {
  if (src.value === undefined) return { problems };
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    problems.push({
      code: 'E_SCHEMA',
      severity: 'error',
      message: `an inventory is a mapping with hosts (and optionally defaults, vars, groups), not ${src.value === null ? 'an empty document' : Array.isArray(src.value) ? 'a list' : `a ${typeof src.value}`}`,
      hint: 'Start from inventory.example.yaml: `hosts:` followed by one entry per host.',
      pos: posAt(src, []),
    });
    return { problems };
  }
  if (isAnsibleYaml(src)) return { value: ansibleInventory({ format: 'ansible-yaml', src }, problems), problems };
  if (!checkSchema(src, 'inventory', problems)) return { problems };
  const written = src.value as KplayInventory;
  if (!written.cluster || !cluster) return { value: buildInventory(src, written, problems), problems };
  const spec = clusterSpecFromSettings(written.cluster, src.absPath, keyPos(src, [], 'cluster') ?? posAt(src, ['cluster']), cluster.env);
  const listed = listClusterNodes(spec, cluster.run);
  if (!listed.nodes) return { problems: [...problems, listed.problem!] };
  return { value: buildInventory(src, written, problems, { spec, nodes: listed.nodes }), problems };
}

/** The Nodes a `cluster:` mapping listed. */
interface ListedNodes {
  spec: ClusterSpec;
  nodes: KubeNode[];
}

function buildInventory(src: YamlSource, written: KplayInventory, problems: Diagnostic[], listed?: ListedNodes): Inventory {
  const defaults = written.defaults ?? {};
  const hosts = new Map<string, InventoryHost>();
  for (const [name, h] of Object.entries(written.hosts ?? {})) {
    const { vars, address, secrets: _secrets, ...own } = h ?? {};
    hosts.set(name, {
      name,
      address: address ?? name,
      addressGiven: address !== undefined,
      port: own.port ?? defaults.port ?? 22,
      connection: { ...defaults, ...own },
      groups: [],
      vars: vars ?? {},
      secrets: secretDecls(src, ['hosts', name], h ?? {}, problems),
      pos: keyPos(src, ['hosts'], name) ?? posAt(src, ['hosts', name]),
    });
  }
  const inv: Inventory = { file: src.file, src, vars: written.vars ?? {}, secrets: secretDecls(src, [], written, problems), hosts, groups: new Map() };
  if (listed) {
    inv.cluster = describeCluster(listed.spec);
    addNodes(inv, listed.nodes, { defaults, pos: listed.spec.pos }, problems);
  }
  addGroups(inv, src, written, problems, Boolean(written.cluster && !listed));
  return inv;
}

/**
 * The file's groups, added to the cluster's where there are any (same name: members and vars join).
 * `membersUnknown`: the file names a cluster that was not listed (kplay validate), so members that
 * are no host of the file may be Nodes.
 */
function addGroups(inv: Inventory, src: YamlSource, written: KplayInventory, problems: Diagnostic[], membersUnknown: boolean): void {
  const { hosts, groups } = inv;
  for (const [gname, g] of Object.entries(written.groups ?? {})) {
    if (RESERVED.has(gname) || hosts.has(gname)) {
      problems.push({
        code: 'E_INVENTORY',
        severity: 'error',
        message: RESERVED.has(gname) ? `"${gname}" is reserved and cannot name a group` : `"${gname}" names both a host and a group`,
        hint: 'Rename the group, so that host patterns and --limit mean one thing.',
        pos: keyPos(src, ['groups'], gname) ?? posAt(src, ['groups']),
      });
      continue;
    }
    const group = groups.get(gname) ?? { hosts: [], vars: {}, secrets: [] };
    (g.hosts ?? []).forEach((member, i) => {
      const host = hosts.get(member);
      if (host) {
        if (!host.groups.includes(gname)) host.groups.push(gname);
        if (!group.hosts.includes(member)) group.hosts.push(member);
        return;
      }
      if (membersUnknown) return;
      const close = suggest(member, hosts.keys());
      problems.push({
        code: 'E_INVENTORY',
        severity: 'error',
        message: `group "${gname}" lists "${member}", which is not a host of this inventory`,
        hint: close ? `Did you mean "${close}"?` : 'Define it under hosts first, or remove it from the group.',
        pos: posAt(src, ['groups', gname, 'hosts', i]),
      });
    });
    groups.set(gname, { hosts: group.hosts, vars: g.vars ?? {}, secrets: secretDecls(src, ['groups', gname], g, problems) });
  }
  addChildren(inv, src, written, problems, membersUnknown);
}

/**
 * Groups of groups: a group's hosts take in its children's, and a host's groups are put in the
 * order their vars apply (a parent's before its child's). Without children nothing changes.
 */
function addChildren(inv: Inventory, src: YamlSource, written: KplayInventory, problems: Diagnostic[], childrenUnknown: boolean): void {
  const nodes = new Map<string, GroupNode>();
  for (const [gname, g] of inv.groups) {
    const children = (written.groups?.[gname]?.children ?? []).map((name, i) => ({ name, pos: posAt(src, ['groups', gname, 'children', i]) }));
    nodes.set(gname, { hosts: g.hosts, children });
  }
  if (![...nodes.values()].some((n) => n.children.length)) return;
  const tree = expandGroups(nodes, { file: src.file, hostNames: new Set(inv.hosts.keys()), childrenUnknown }, problems);
  const order = [...inv.groups.keys()];
  for (const [gname, g] of inv.groups) {
    g.hosts = tree.hosts.get(gname)!;
    g.children = tree.children.get(gname)!;
  }
  for (const h of inv.hosts.values()) h.groups = groupsOfHost(h.name, tree, (a, b) => order.indexOf(a) - order.indexOf(b));
}

/** Where Node hosts get what the file does not give them. */
interface NodeDefaults {
  defaults: ConnectionSettings;
  /** The `cluster:` key, where a Node host is "written"; none for `-i k8s:`. */
  pos?: SourcePos;
}

/**
 * The cluster's Nodes as hosts: the file's entry of the same name (if any) adds its settings and
 * vars; the Node's address is used unless the entry gives one. An entry naming no Node is left out,
 * with a warning (the Node may be gone, or the name misspelt).
 */
function addNodes(inv: Inventory, nodes: KubeNode[], at: NodeDefaults, problems: Diagnostic[]): void {
  const given = new Map(inv.hosts);
  inv.hosts.clear();
  // Both roles exist even when empty, so that `--limit workers` on a one-node cluster selects no
  // host rather than naming an unknown group.
  for (const role of [CONTROL_PLANE_GROUP, WORKERS_GROUP]) inv.groups.set(role, { hosts: [], vars: {}, secrets: [] });
  for (const node of nodes) {
    const own = given.get(node.name);
    inv.hosts.set(node.name, {
      name: node.name,
      // Given no address, ~/.ssh/config's HostName for the Node's name still wins over the Node's own.
      address: own?.addressGiven ? own.address : (node.address ?? node.name),
      addressGiven: own?.addressGiven ?? false,
      port: own?.port ?? at.defaults.port ?? 22,
      connection: own?.connection ?? { ...at.defaults },
      groups: [],
      vars: { node_name: node.name, ...own?.vars },
      secrets: own?.secrets ?? [],
      pos: own?.pos ?? at.pos ?? { file: inv.file, line: 1, col: 1 },
      origin: `Node ${node.name} of ${inv.cluster}${node.addressType ? `, its ${node.addressType}` : ''}`,
    });
    for (const gname of node.groups) {
      const group = inv.groups.get(gname) ?? { hosts: [], vars: {}, secrets: [] };
      group.hosts.push(node.name);
      inv.groups.set(gname, group);
    }
    inv.hosts.get(node.name)!.groups.push(...node.groups);
  }
  refuseClashingGroups(inv, at.pos, problems);
  for (const [name, h] of given) {
    if (inv.hosts.has(name)) continue;
    const close = suggest(name, inv.hosts.keys());
    problems.push({
      code: 'E_INVENTORY',
      severity: 'warning',
      message: `hosts: "${name}" is no Node of the cluster (${inv.cluster}), so its settings are not used`,
      hint: close ? `Did you mean "${close}"?` : 'kubectl get nodes lists the Nodes; remove the entry if the Node is gone.',
      pos: h.pos,
    });
  }
}

/** A Node named like a group made from the cluster (`workers`) would make patterns and --limit ambiguous. */
function refuseClashingGroups(inv: Inventory, pos: SourcePos | undefined, problems: Diagnostic[]): void {
  for (const gname of inv.groups.keys()) {
    if (!inv.hosts.has(gname)) continue;
    problems.push({
      code: 'E_INVENTORY',
      severity: 'error',
      message: `the Node "${gname}" has the name of a group kplay makes from the cluster`,
      hint: 'Take the Nodes you mean with cluster.selector in an inventory file, so that host patterns and --limit mean one thing.',
      pos,
    });
  }
}
