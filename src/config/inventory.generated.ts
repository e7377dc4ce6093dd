// Generated from schemas/inventory.schema.json by scripts/schema-codegen.ts: do not edit; run `npm run gen:schemas`.

/**
 * Where a secret's value comes from: exactly one of env or file.
 */
export type SecretSource = {
  /**
   * The environment variable holding the value (on the controller).
   */
  env?: string;
  /**
   * A file on the controller holding the value (relative to the playbook; one final newline is dropped).
   */
  file?: string;
  /**
   * What the secret is, for people.
   */
  description?: string;
} & SecretSource1;
export type SecretSource1 = {
  [k: string]: unknown;
};
/**
 * A host or group name: letters, digits, '.', '_' and '-'.
 */
export type Name = string;

/**
 * The hosts kplay can reach, how to connect to them, their groups and their variables.
 */
export interface KplayInventory {
  defaults?: Connection;
  vars?: Vars;
  /**
   * Secrets of every host: where their values come from (an environment variable or a file, relative to the inventory). They declare new secrets or say where a playbook's secret comes from; group and host secrets override them.
   */
  secrets?: {
    [k: string]: SecretSource;
  };
  /**
   * Take the hosts from the Nodes of a Kubernetes cluster (kubectl get nodes, run on this machine): one host per Node, named as the Node, at its InternalIP, in the group control-plane or workers and in a group per label. Entries under hosts then add settings and vars to the Node of that name.
   */
  cluster?: {
    /**
     * The kubeconfig context. Default: the current context.
     */
    context?: string;
    /**
     * The kubeconfig file, relative to this file; ~ is expanded. Default: $KUBECONFIG, else ~/.kube/config.
     */
    kubeconfig?: string;
    /**
     * kubectl on this machine: a name on PATH or a path (relative to this file). Default: $KPLAY_KUBECTL, else kubectl.
     */
    kubectl?: string;
    /**
     * Which of a Node's addresses to connect to; a Node without one falls back to InternalIP, ExternalIP, Hostname in that order. Default InternalIP.
     */
    address?: 'InternalIP' | 'ExternalIP' | 'Hostname';
    /**
     * Only the Nodes with these labels (a label selector, as kubectl get nodes -l takes it).
     */
    selector?: string;
  };
  /**
   * The hosts, by name. The name is what playbooks, groups and --limit use. With cluster:, each entry adds settings and vars to the Node of that name.
   */
  hosts?: {
    [k: string]: Host;
  };
  /**
   * Named sets of hosts with shared variables.
   */
  groups?: {
    [k: string]: Group;
  };
}
/**
 * Connection settings every host inherits unless it sets its own.
 */
export interface Connection {
  /**
   * SSH login user. Default: from ~/.ssh/config, else the local user.
   */
  user?: string;
  /**
   * SSH port. Default 22.
   */
  port?: number;
  /**
   * Private key file; ~ is expanded.
   */
  identityFile?: string;
  /**
   * Name of the environment variable that holds the identity file's passphrase (never the passphrase itself).
   */
  passphraseEnv?: string;
  /**
   * Name of the environment variable that holds the login password (never the password itself).
   */
  passwordEnv?: string;
  /**
   * known_hosts file used to verify host keys. Default ~/.ssh/known_hosts.
   */
  knownHosts?: string;
  /**
   * strict (default): refuse unknown or changed host keys; accept-new: record unknown keys, refuse changed ones; off: accept anything (unsafe).
   */
  hostKeyChecking?: 'strict' | 'accept-new' | 'off';
  /**
   * Jump host(s) to connect through: an inventory host name or user@host:port, or a list for a chain.
   */
  jump?: string | [string, ...string[]];
  /**
   * Run every task through sudo.
   */
  become?: boolean;
  /**
   * Name of the environment variable that holds the sudo password, when sudo asks for one.
   */
  becomePasswordEnv?: string;
  /**
   * Give up connecting after this long. Default 10s.
   */
  connectTimeout?: number | string;
  /**
   * Folder on the host for kplay's lock, journal and copies of replaced files. Default /var/lib/kplay when tasks run as root, else ~/.kplay.
   */
  stateDir?: string;
}
/**
 * Variables for every host; they override playbook vars.
 */
export interface Vars {
  [k: string]: unknown;
}
/**
 * A host: its address and, optionally, connection settings and variables of its own.
 */
export interface Host {
  /**
   * Host name or IP address to connect to. Default: the host's name.
   */
  address?: string;
  /**
   * SSH login user. Default: from ~/.ssh/config, else the local user.
   */
  user?: string;
  /**
   * SSH port. Default 22.
   */
  port?: number;
  /**
   * Private key file; ~ is expanded.
   */
  identityFile?: string;
  /**
   * Name of the environment variable that holds the identity file's passphrase (never the passphrase itself).
   */
  passphraseEnv?: string;
  /**
   * Name of the environment variable that holds the login password (never the password itself).
   */
  passwordEnv?: string;
  /**
   * known_hosts file used to verify host keys. Default ~/.ssh/known_hosts.
   */
  knownHosts?: string;
  /**
   * strict (default): refuse unknown or changed host keys; accept-new: record unknown keys, refuse changed ones; off: accept anything (unsafe).
   */
  hostKeyChecking?: 'strict' | 'accept-new' | 'off';
  /**
   * Jump host(s) to connect through: an inventory host name or user@host:port, or a list for a chain.
   */
  jump?: string | [string, ...string[]];
  /**
   * Run every task through sudo.
   */
  become?: boolean;
  /**
   * Name of the environment variable that holds the sudo password, when sudo asks for one.
   */
  becomePasswordEnv?: string;
  /**
   * Give up connecting after this long. Default 10s.
   */
  connectTimeout?: number | string;
  /**
   * Folder on the host for kplay's lock, journal and copies of replaced files. Default /var/lib/kplay when tasks run as root, else ~/.kplay.
   */
  stateDir?: string;
  vars?: Vars1;
  /**
   * Secrets of this host (say, its own token); they override inventory and group secrets of the same name.
   */
  secrets?: {
    [k: string]: SecretSource;
  };
}
/**
 * Variables of this host; they override inventory and group vars.
 */
export interface Vars1 {
  [k: string]: unknown;
}
/**
 * A group: its member hosts and their shared variables.
 */
export interface Group {
  /**
   * Names of member hosts, as defined under the top-level hosts (or Nodes of the cluster). Without it, the group only gives vars to the members it has already (a cluster group such as workers).
   */
  hosts?: Name[];
  /**
   * Names of groups whose hosts belong to this group too (groups of groups, as Ansible's children). A child's vars override its parent's; a group cannot contain itself.
   */
  children?: Name[];
  vars?: Vars2;
  /**
   * Secrets of the group's hosts; they override inventory secrets of the same name.
   */
  secrets?: {
    [k: string]: SecretSource;
  };
}
/**
 * Variables of the group's hosts; they override inventory vars.
 */
export interface Vars2 {
  [k: string]: unknown;
}
