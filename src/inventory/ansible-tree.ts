// An Ansible inventory as its files write it, before it becomes kplay's Inventory: groups with the
// hosts and children they list, hosts, and their vars, each layer with where it is written. The INI
// and YAML readers fill one; ansible-inventory.ts turns it into hosts, groups and settings.
import type { Diagnostic, SourcePos } from '../errors.js';
import type { ChildRef } from './group-tree.js';
import type { VarsLayer } from './types.js';

/** A layer of vars that says where each variable is written. */
export type PlacedVars = VarsLayer & { keyPos: Record<string, SourcePos> };

/** A group as the files write it. */
export interface AnsibleGroup {
  name: string;
  /** Where it is first defined. */
  pos: SourcePos;
  hosts: string[];
  children: ChildRef[];
  vars: PlacedVars[];
}

/** A host as the files write it. */
export interface AnsibleHost {
  name: string;
  pos: SourcePos;
  vars: PlacedVars[];
}

/** Ansible's implicit groups: every host, and the hosts of no other group. */
export const ALL = 'all';
export const UNGROUPED = 'ungrouped';

/** kplay's rule for host and group names (the inventory schema's). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The groups and hosts of one Ansible inventory, in the order the files define them. */
export class AnsibleTree {
  readonly groups = new Map<string, AnsibleGroup>();
  readonly hosts = new Map<string, AnsibleHost>();

  constructor(readonly file: string) {
    this.group(ALL, { file, line: 1, col: 1 });
    this.group(UNGROUPED, { file, line: 1, col: 1 });
  }

  /** The group of this name, created (defined here) if new. */
  group(name: string, pos: SourcePos): AnsibleGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, pos, hosts: [], children: [], vars: [] };
      this.groups.set(name, g);
    }
    return g;
  }

  /** The host of this name, created (defined here) if new. */
  host(name: string, pos: SourcePos): AnsibleHost {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, pos, vars: [] };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Puts a host in a group (once). */
  member(group: AnsibleGroup, host: string): void {
    if (!group.hosts.includes(host)) group.hosts.push(host);
  }
}

/** Whether a name can name a kplay host or group; when not, a problem at `pos`. */
export function checkName(kind: 'host' | 'group', name: string, pos: SourcePos, problems: Diagnostic[]): boolean {
  if (NAME.test(name)) return true;
  problems.push({
    code: 'E_INVENTORY',
    severity: 'error',
    message: `"${name}" cannot name a ${kind} in kplay: names use letters, digits, '.', '_' and '-', and start with a letter or digit`,
    hint: kind === 'host' ? 'Give the host such a name and its address in ansible_host (an IPv6 address goes there too).' : 'Rename the group (patterns and --limit use the name).',
    pos,
  });
  return false;
}

/** Adds a variable to a layer, remembering where it is written (a later one of the same name wins). */
export function setVar(layer: PlacedVars, name: string, value: unknown, pos: SourcePos): void {
  layer.vars[name] = value;
  layer.keyPos[name] = pos;
}
