// Groups of groups: which hosts a group holds through its children, how deep each group sits (the
// order in which group vars apply: a parent's before its child's), and the mistakes a tree can have
// (a child that is no group, a group that contains itself). Shared by kplay's own inventories and
// Ansible's.
import type { Diagnostic, SourcePos } from '../errors.js';
import { suggest } from '../text/suggest.js';

/** A child group as written: its name, and where, for messages. */
export interface ChildRef {
  name: string;
  pos?: SourcePos;
}

/** A group as written: the hosts it lists itself and its children. */
export interface GroupNode {
  hosts: string[];
  children: ChildRef[];
}

/** What the tree says of each group. */
export interface GroupTree {
  /** Every host of the group, its own first, then its children's (each once). */
  hosts: Map<string, string[]>;
  /** 1 for a group no group contains, else one more than its deepest parent. */
  depth: Map<string, number>;
  /** Each group's direct children that exist. */
  children: Map<string, string[]>;
}

/** Options for the messages: names that would also be accepted as children, and names that are hosts. */
export interface TreeContext {
  file: string;
  /** Host names: a child that names one gets a hint to list it under hosts. */
  hostNames: ReadonlySet<string>;
  /** When members may be groups this file cannot know (a cluster not listed): unknown children are not reported. */
  childrenUnknown?: boolean;
  /** A group that holds every other (Ansible's all): its children are checked, but add no depth. */
  root?: string;
}

/**
 * Expands a tree of groups. Unknown children and cycles are errors (the edge that closes a cycle is
 * left out, so the rest of the tree can still be used for further checks).
 */
export function expandGroups(groups: ReadonlyMap<string, GroupNode>, ctx: TreeContext, problems: Diagnostic[]): GroupTree {
  const children = new Map<string, string[]>();
  for (const [name, g] of groups) children.set(name, knownChildren(name, g, groups, ctx, problems));
  dropCycles(groups, children, problems);
  const tree: GroupTree = { hosts: new Map(), depth: new Map(), children };
  for (const name of groups.keys()) hostsOf(name, groups, tree);
  const counted = new Map([...children].filter(([name]) => name !== ctx.root));
  for (const name of groups.keys()) depthOf(name, counted, tree.depth);
  return tree;
}

function knownChildren(name: string, g: GroupNode, groups: ReadonlyMap<string, GroupNode>, ctx: TreeContext, problems: Diagnostic[]): string[] {
  const out: string[] = [];
  for (const child of g.children) {
    if (groups.has(child.name)) {
      if (!out.includes(child.name)) out.push(child.name);
      continue;
    }
    if (ctx.childrenUnknown) continue;
    const close = suggest(child.name, groups.keys());
    const isHost = ctx.hostNames.has(child.name);
    problems.push({
      code: 'E_INVENTORY',
      severity: 'error',
      message: isHost ? `group "${name}" lists the host "${child.name}" among its children, which are groups` : `group "${name}" lists "${child.name}" among its children, and there is no group of that name`,
      hint: isHost ? 'List hosts under the group\'s hosts; children names other groups.' : close ? `Did you mean "${close}"?` : 'Define the group, or remove it from children.',
      pos: child.pos ?? { file: ctx.file, line: 1, col: 1 },
    });
  }
  return out;
}

/** Depth-first search; an edge back to a group on the current path is a cycle: reported and removed. */
function dropCycles(groups: ReadonlyMap<string, GroupNode>, children: Map<string, string[]>, problems: Diagnostic[]): void {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (done.has(name)) return;
    const kids = children.get(name) ?? [];
    for (const kid of [...kids]) {
      if (path.includes(kid)) {
        const cycle = [...path.slice(path.indexOf(kid)), name, kid];
        const ref = groups.get(name)!.children.find((c) => c.name === kid);
        problems.push({
          code: 'E_INVENTORY',
          severity: 'error',
          message: `group "${kid}" contains itself: ${cycle.join(' -> ')}`,
          hint: `A group cannot be its own child, directly or through others: remove "${kid}" from the children of "${name}".`,
          pos: ref?.pos,
        });
        kids.splice(kids.indexOf(kid), 1);
        continue;
      }
      visit(kid, [...path, name]);
    }
    done.add(name);
  };
  for (const name of groups.keys()) visit(name, []);
}

function hostsOf(name: string, groups: ReadonlyMap<string, GroupNode>, tree: GroupTree): string[] {
  const known = tree.hosts.get(name);
  if (known) return known;
  const out = [...new Set(groups.get(name)!.hosts)];
  for (const kid of tree.children.get(name) ?? []) for (const h of hostsOf(kid, groups, tree)) if (!out.includes(h)) out.push(h);
  tree.hosts.set(name, out);
  return out;
}

function depthOf(name: string, children: ReadonlyMap<string, string[]>, depth: Map<string, number>): number {
  const known = depth.get(name);
  if (known !== undefined) return known;
  let d = 1;
  for (const [parent, kids] of children) if (kids.includes(name)) d = Math.max(d, depthOf(parent, children, depth) + 1);
  depth.set(name, d);
  return d;
}

/**
 * A host's groups in the order their vars apply: shallower first (a parent before its children),
 * then as `order` says among groups of one depth.
 */
export function groupsOfHost(host: string, tree: GroupTree, order: (a: string, b: string) => number): string[] {
  const mine = [...tree.hosts].filter(([, hosts]) => hosts.includes(host)).map(([g]) => g);
  return mine.sort((a, b) => tree.depth.get(a)! - tree.depth.get(b)! || order(a, b));
}
