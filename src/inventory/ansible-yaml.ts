// Ansible's YAML inventory: top-level groups (usually just `all`), each a mapping of `hosts` (a
// mapping of host patterns to their vars, or to nothing), `vars` and `children` (groups again). A
// group may be written in several places; what each place says is added up, as Ansible does.
import type { Diagnostic } from '../errors.js';
import { keyPos, posAt } from '../config/yaml-source.js';
import type { DataPath, YamlSource } from '../config/yaml-source.js';
import { suggest } from '../text/suggest.js';
import { ALL, AnsibleTree, checkName } from './ansible-tree.js';
import type { AnsibleGroup, PlacedVars } from './ansible-tree.js';
import { expandHostRange, HostRangeError, splitHostPort } from './host-range.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];
/** The top-level keys of kplay's own inventory format. */
const KPLAY_KEYS = ['defaults', 'vars', 'secrets', 'cluster', 'hosts', 'groups'];

/** Whether a parsed YAML document is an Ansible inventory rather than kplay's own. */
export function looksLikeAnsibleYaml(value: unknown): boolean {
  if (!isMapping(value)) return false;
  const keys = Object.keys(value);
  if (!keys.length || keys.some((k) => KPLAY_KEYS.includes(k))) return false;
  if (ALL in value) return true;
  return Object.values(value).every((g) => g === null || (isMapping(g) && Object.keys(g).every((k) => GROUP_KEYS.includes(k))));
}

/** Reads an Ansible YAML inventory into a tree; problems go into `problems`. */
export function parseYamlInventory(src: YamlSource, problems: Diagnostic[]): AnsibleTree {
  const tree = new AnsibleTree(src.file);
  const reader = new YamlReader(src, tree, problems);
  for (const [name, body] of Object.entries(src.value as Record<string, unknown>)) {
    const g = reader.group(name, body, [name]);
    if (g && name !== ALL) addChild(tree.groups.get(ALL)!, name, src, [name]);
  }
  return tree;
}

class YamlReader {
  constructor(
    private readonly src: YamlSource,
    private readonly tree: AnsibleTree,
    private readonly problems: Diagnostic[],
  ) {}

  /** One place a group is written; undefined when its name cannot be used. */
  group(name: string, body: unknown, path: DataPath): AnsibleGroup | undefined {
    const pos = keyPos(this.src, path.slice(0, -1), name) ?? posAt(this.src, path);
    if (!checkName('group', name, pos, this.problems)) return undefined;
    const g = this.tree.group(name, pos);
    if (body === null || body === undefined) return g;
    if (!isMapping(body)) {
      this.error(`group "${name}" is ${describe(body)}, not a mapping`, 'A group is a mapping with hosts:, vars: and children: (each optional).', path);
      return g;
    }
    for (const key of Object.keys(body)) {
      if (GROUP_KEYS.includes(key)) continue;
      const close = suggest(key, GROUP_KEYS);
      this.problems.push({
        code: 'E_INVENTORY',
        severity: 'error',
        message: `group "${name}" has an unknown key "${key}"`,
        hint: close ? `Did you mean "${close}"? A group has hosts, vars and children.` : 'A group has hosts, vars and children; a host\'s vars go under hosts: NAME:.',
        pos: keyPos(this.src, path, key) ?? posAt(this.src, [...path, key]),
      });
    }
    if (body.vars !== undefined && body.vars !== null) {
      const vars = this.vars(body.vars, [...path, 'vars'], `the vars of group "${name}"`);
      if (vars) g.vars.push(vars);
    }
    this.hosts(g, body.hosts, [...path, 'hosts']);
    this.children(g, body.children, [...path, 'children']);
    return g;
  }

  private hosts(g: AnsibleGroup, hosts: unknown, path: DataPath): void {
    if (hosts === undefined || hosts === null) return;
    if (!isMapping(hosts)) {
      const hint = Array.isArray(hosts) ? 'Write each host as a key: "hosts:\\n  web1:\\n  web2:" (a host with vars: "web1: {ansible_host: 10.0.0.1}").' : 'hosts: is a mapping of host names to their vars.';
      return this.error(`the hosts of group "${g.name}" are ${describe(hosts)}, not a mapping`, hint, path);
    }
    for (const [pattern, vars] of Object.entries(hosts)) {
      const at = [...path, pattern];
      const pos = keyPos(this.src, path, pattern) ?? posAt(this.src, at);
      const { name, port } = splitHostPort(pattern);
      let names: string[];
      try {
        names = expandHostRange(name);
      } catch (e) {
        if (!(e instanceof HostRangeError)) throw e;
        this.problems.push({ code: 'E_INVENTORY', severity: 'error', message: `bad host range: ${e.message}`, hint: 'A range is [START:END] or [START:END:STEP]: node[01:20], web[a:f], n[0:10:2].', pos: { ...pos, col: pos.col + e.offset } });
        continue;
      }
      const layers: PlacedVars[] = port === undefined ? [] : [{ vars: { ansible_port: port }, keyPos: { ansible_port: pos } }];
      const own = vars === null || vars === undefined ? undefined : this.vars(vars, at, `host "${pattern}"`);
      if (own) layers.push(own);
      for (const n of names) {
        if (!checkName('host', n, pos, this.problems)) continue;
        this.tree.host(n, pos).vars.push(...layers);
        this.tree.member(g, n);
      }
    }
  }

  private children(g: AnsibleGroup, children: unknown, path: DataPath): void {
    if (children === undefined || children === null) return;
    if (!isMapping(children)) {
      return this.error(`the children of group "${g.name}" are ${describe(children)}, not a mapping`, 'children: is a mapping of group names to groups: "children:\\n  web:\\n    hosts: ...".', path);
    }
    for (const [name, body] of Object.entries(children)) {
      if (this.group(name, body, [...path, name])) addChild(g, name, this.src, [...path, name]);
    }
  }

  /** A mapping of vars as a layer, with where each is written; undefined (and a problem) when it is no mapping. */
  private vars(value: unknown, path: DataPath, what: string): PlacedVars | undefined {
    if (!isMapping(value)) {
      this.error(`${what} are ${describe(value)}, not a mapping`, 'Vars are a mapping: name: value.', path);
      return undefined;
    }
    const keyPositions = Object.fromEntries(Object.keys(value).map((k) => [k, keyPos(this.src, path, k) ?? posAt(this.src, [...path, k])]));
    return { vars: { ...value }, src: this.src, path, keyPos: keyPositions };
  }

  private error(message: string, hint: string, path: DataPath): void {
    this.problems.push({ code: 'E_INVENTORY', severity: 'error', message, hint, pos: posAt(this.src, path) });
  }
}

function addChild(parent: AnsibleGroup, name: string, src: YamlSource, path: DataPath): void {
  if (parent.children.some((c) => c.name === name)) return;
  parent.children.push({ name, pos: keyPos(src, path.slice(0, -1), name) ?? posAt(src, path) });
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'empty' : `a ${typeof v}`;
}
