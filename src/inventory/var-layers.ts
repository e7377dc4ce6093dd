// Where an inventory's variables are written, as layers lowest precedence first: the inventory's
// (Ansible's group all), its groups' in the order they apply, the host's own. kplay's own format
// writes each in one mapping of one file; an Ansible inventory in several (the inventory, then
// group_vars/ and host_vars/ files), which it lists on the groups and hosts themselves.
import type { Inventory, InventoryHost, VarsLayer } from './types.js';

/** The layers of the inventory's own vars (every host's). */
export function inventoryLayers(inv: Inventory): VarsLayer[] {
  return inv.layers ?? [{ vars: inv.vars, src: inv.src, path: ['vars'] }];
}

/** The layers of one group's vars. */
export function groupLayers(inv: Inventory, name: string): VarsLayer[] {
  const g = inv.groups.get(name)!;
  return g.layers ?? [{ vars: g.vars, src: inv.src, path: ['groups', name, 'vars'] }];
}

/** The layers of a host's own vars. */
export function ownLayers(inv: Inventory, h: InventoryHost): VarsLayer[] {
  return h.layers ?? [{ vars: h.vars, src: inv.src, path: ['hosts', h.name, 'vars'] }];
}

/** Every layer that applies to a host, lowest precedence first: inventory, groups, host. */
export function hostVarLayers(inv: Inventory, h: InventoryHost): VarsLayer[] {
  return [...inventoryLayers(inv), ...h.groups.flatMap((g) => groupLayers(inv, g)), ...ownLayers(inv, h)];
}

/** Every layer of the inventory, each once: for checks of names written anywhere in it. */
export function allVarLayers(inv: Inventory): VarsLayer[] {
  return [...inventoryLayers(inv), ...[...inv.groups.keys()].flatMap((g) => groupLayers(inv, g)), ...[...inv.hosts.values()].flatMap((h) => ownLayers(inv, h))];
}
