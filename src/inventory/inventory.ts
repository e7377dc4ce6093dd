import type { Diagnostic, SourcePos } from '../errors.js';
import type { Loaded, SecretDecl } from '../config/model.js';
import { secretDecls } from '../config/secrets.js';
import type { Connection, KplayInventory } from '../config/inventory.generated.js';
import { checkSchema } from '../config/schema-check.js';
import { keyPos, loadYamlFile, posAt } from '../config/yaml-source.js';
import type { YamlSource } from '../config/yaml-source.js';
import { suggest } from '../text/suggest.js';

/** How to reach one host as the inventory says it: the defaults with the host's own settings on top. */
export type ConnectionSettings = Connection;

/** A host as the rest of kplay sees it. */
export interface InventoryHost {
  name: string;
  /** Where to connect: the inventory's address, else the name (~/.ssh/config may still map it). */
  address: string;
  /** Whether the inventory gave the address, rather than it defaulting to the name. */
  addressGiven: boolean;
  /** The port as shown in plans: the inventory's, else 22 (~/.ssh/config may still change it). */
  port: number;
  connection: ConnectionSettings;
  /** Groups it belongs to, in the order the inventory defines them. */
  groups: string[];
  vars: Record<string, unknown>;
  /** Secrets declared on the host itself (the inventory's and its groups' are on Inventory). */
  secrets: SecretDecl[];
  pos: SourcePos;
}

/** A loaded inventory. */
export interface Inventory {
  file: string;
  src?: YamlSource;
  vars: Record<string, unknown>;
  /** Secrets every host has; groups' and hosts' override them by name. */
  secrets: SecretDecl[];
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
}

/** A group of hosts with their shared variables and secrets. */
export interface InventoryGroup {
  hosts: string[];
  vars: Record<string, unknown>;
  secrets: SecretDecl[];
}

/** Names that mean something in host patterns and so cannot name a group. */
const RESERVED = new Set(['all']);

/** Loads and checks an inventory file. */
export function loadInventory(file: string): Loaded<Inventory> {
  const problems: Diagnostic[] = [];
  const src = loadYamlFile(file, problems);
  if (!src) return { problems };
  return inventoryFromSource(src, problems);
}

/** Checks an already parsed inventory; problems are appended to `problems`. */
export function inventoryFromSource(src: YamlSource, problems: Diagnostic[] = []): Loaded<Inventory> {
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
  if (!checkSchema(src, 'inventory', problems)) return { problems };
  return { value: buildInventory(src, src.value as KplayInventory, problems), problems };
}

function buildInventory(src: YamlSource, written: KplayInventory, problems: Diagnostic[]): Inventory {
  const defaults = written.defaults ?? {};
  const hosts = new Map<string, InventoryHost>();
  for (const [name, h] of Object.entries(written.hosts)) {
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
  const groups = new Map<string, InventoryGroup>();
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
    g.hosts.forEach((member, i) => {
      const host = hosts.get(member);
      if (host) {
        if (!host.groups.includes(gname)) host.groups.push(gname);
        return;
      }
      const close = suggest(member, hosts.keys());
      problems.push({
        code: 'E_INVENTORY',
        severity: 'error',
        message: `group "${gname}" lists "${member}", which is not a host of this inventory`,
        hint: close ? `Did you mean "${close}"?` : 'Define it under hosts first, or remove it from the group.',
        pos: posAt(src, ['groups', gname, 'hosts', i]),
      });
    });
    groups.set(gname, { hosts: g.hosts.filter((m) => hosts.has(m)), vars: g.vars ?? {}, secrets: secretDecls(src, ['groups', gname], g, problems) });
  }
  return { file: src.file, src, vars: written.vars ?? {}, secrets: secretDecls(src, [], written, problems), hosts, groups };
}
