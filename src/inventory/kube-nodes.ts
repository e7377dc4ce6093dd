// Nodes as `kubectl get nodes -o json` lists them, turned into what an inventory needs: a name, an
// address to connect to, and groups. Pure: no process, no file, so every rule is tested on JSON alone.

/** The Node address types kubectl reports, in the order kplay falls back through them. */
export const ADDRESS_TYPES = ['InternalIP', 'ExternalIP', 'Hostname'] as const;
export type AddressType = (typeof ADDRESS_TYPES)[number];

/** The groups every cluster inventory has, by node role. */
export const CONTROL_PLANE_GROUP = 'control-plane';
export const WORKERS_GROUP = 'workers';

/** The role labels kubeadm puts on control-plane nodes: `master` until 1.24, `control-plane` from 1.20. */
const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];
/** Labels that would make one group per node (the host name already names it). */
const NO_GROUP_LABELS = new Set(['kubernetes.io/hostname']);

/** One Node, as an inventory host is made from it. */
export interface KubeNode {
  name: string;
  /** Where to connect; undefined when the Node reports no address at all. */
  address?: string;
  /** Which of the Node's addresses that is. */
  addressType?: AddressType;
  /** Role group first (control-plane or workers), then one group per label, sorted. */
  groups: string[];
}

/** kubectl's output could not be read as a NodeList: says what was wrong with it. */
export class NodeListError extends Error {}

/**
 * The Nodes of a `kubectl get nodes -o json` output. `prefer` is the address type to connect to;
 * a Node without one falls back through InternalIP, ExternalIP, Hostname.
 */
export function parseNodeList(json: string, prefer: AddressType = 'InternalIP'): KubeNode[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new NodeListError(`not JSON (starts with ${JSON.stringify(json.slice(0, 40))})`);
  }
  const items = isObject(doc) ? doc.items : undefined;
  if (!Array.isArray(items)) throw new NodeListError('no "items" list: not the output of kubectl get nodes -o json');
  const order = [prefer, ...ADDRESS_TYPES.filter((t) => t !== prefer)];
  return items.map((item, i) => nodeFrom(item, i, order)).sort((a, b) => a.name.localeCompare(b.name));
}

function nodeFrom(item: unknown, i: number, order: AddressType[]): KubeNode {
  const meta = isObject(item) && isObject(item.metadata) ? item.metadata : undefined;
  const name = meta?.name;
  if (typeof name !== 'string' || name === '') throw new NodeListError(`item ${i} has no metadata.name`);
  const labels = isObject(meta?.labels) ? meta.labels : {};
  const status = isObject(item) && isObject(item.status) ? item.status : {};
  const addresses = (Array.isArray(status.addresses) ? status.addresses : []).filter(
    (a): a is { type: string; address: string } => isObject(a) && typeof a.type === 'string' && typeof a.address === 'string' && a.address !== '',
  );
  const found = order.map((type) => addresses.find((a) => a.type === type)).find((a) => a !== undefined);
  return {
    name,
    address: found?.address,
    addressType: found?.type as AddressType | undefined,
    groups: [roleGroup(labels), ...labelGroups(labels)],
  };
}

function roleGroup(labels: Record<string, unknown>): string {
  return CONTROL_PLANE_LABELS.some((l) => l in labels) ? CONTROL_PLANE_GROUP : WORKERS_GROUP;
}

function labelGroups(labels: Record<string, unknown>): string[] {
  return Object.entries(labels)
    .filter(([key]) => !NO_GROUP_LABELS.has(key))
    .map(([key, value]) => labelGroupName(key, typeof value === 'string' ? value : String(value)))
    .sort();
}

/**
 * The group of the nodes with a label: `label_KEY_VALUE` (`label_KEY` for an empty value), every
 * character a group name cannot hold (`/`, `=`, ...) written as `_`. For example
 * `topology.kubernetes.io/zone=eu-1a` is `label_topology.kubernetes.io_zone_eu-1a`.
 */
export function labelGroupName(key: string, value: string): string {
  return `label_${key}${value === '' ? '' : `_${value}`}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
