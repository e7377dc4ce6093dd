// The shape of a loaded inventory, whatever format it was written in (kplay's own, Ansible's INI or
// YAML, a cluster's Nodes): what planning, running and listing read.
import type { SourcePos } from '../errors.js';
import type { SecretDecl } from '../config/model.js';
import type { Connection } from '../config/inventory.generated.js';
import type { DataPath, YamlSource } from '../config/yaml-source.js';

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
  /** Groups it belongs to (through children too), in the order their vars apply: outer groups first; among equals, as the inventory defines them (Ansible's: by name). */
  groups: string[];
  vars: Record<string, unknown>;
  /** Secrets declared on the host itself (the inventory's and its groups' are on Inventory). */
  secrets: SecretDecl[];
  pos: SourcePos;
  /** Where the host came from when the inventory does not list it itself: "Node cp1 of kubectl context X". */
  origin?: string;
  /** Where its vars are written, lowest precedence first; absent: `vars` under hosts.NAME of the inventory's `src`. */
  layers?: VarsLayer[];
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
  /** Set when the hosts are a cluster's Nodes: which cluster, in words ("kubectl context X"). */
  cluster?: string;
  /** Where the vars of every host are written, lowest precedence first; absent: `vars` of `src`. */
  layers?: VarsLayer[];
  /** The format it was written in; absent: kplay's own. */
  format?: InventoryFormat;
  /** Every file read for it (an Ansible inventory's group_vars and host_vars too), for a saved plan's checks. */
  files?: InventoryFile[];
}

/** The inventory formats kplay reads. */
export type InventoryFormat = 'kplay' | 'ansible-ini' | 'ansible-yaml';

/** A file read for an inventory, with its text as read. */
export interface InventoryFile {
  absPath: string;
  text: string;
}

/** A group of hosts with their shared variables and secrets. */
export interface InventoryGroup {
  /** Every host of the group: its own, then those of its children. */
  hosts: string[];
  vars: Record<string, unknown>;
  secrets: SecretDecl[];
  /** The groups it contains (direct children), when it has any. */
  children?: string[];
  /** Where its vars are written, lowest precedence first; absent: `vars` under groups.NAME of `src`. */
  layers?: VarsLayer[];
}

/** Variables as one mapping writes them, lowest precedence first in a list. */
export interface VarsLayer {
  vars: Record<string, unknown>;
  /** The YAML mapping they are written in, so that templates among them are rendered with their positions; none: values taken literally (an INI file's). */
  src?: YamlSource;
  path?: DataPath;
  /** Where each variable is written, when `src` cannot say (an INI file). */
  keyPos?: Record<string, SourcePos>;
}

