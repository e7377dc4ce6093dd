// group_vars/ and host_vars/ beside an Ansible inventory: NAME.yml, NAME.yaml, NAME.json or NAME
// (YAML, one mapping), or a folder NAME/ whose files are read in name order. Each file is a layer of
// vars after those the inventory itself writes for that group or host, so a file wins over the
// inventory's own line for the same group or host (as in Ansible).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { displayPath, keyPos, loadYamlFile, posAt } from '../config/yaml-source.js';
import { suggest } from '../text/suggest.js';
import type { AnsibleTree, PlacedVars } from './ansible-tree.js';
import type { InventoryFile } from './types.js';

const EXTENSIONS = ['.yml', '.yaml', '.json', ''];

/** Adds the vars of group_vars/ and host_vars/ beside `inventoryAbs` to the tree; returns the files read. */
export function readVarsDirs(inventoryAbs: string, tree: AnsibleTree, problems: Diagnostic[]): InventoryFile[] {
  const read: InventoryFile[] = [];
  for (const kind of ['group_vars', 'host_vars'] as const) {
    const dir = path.join(path.dirname(inventoryAbs), kind);
    for (const { name, files } of entries(dir)) {
      const owner = kind === 'group_vars' ? tree.groups.get(name) : tree.hosts.get(name);
      if (!owner) {
        unknownOwner(kind, name, files[0]!, kind === 'group_vars' ? tree.groups.keys() : tree.hosts.keys(), problems);
        continue;
      }
      for (const file of files) {
        const layer = varsFile(file, problems, read);
        if (layer) owner.vars.push(layer);
      }
    }
  }
  return read;
}

/** The group or host names of a folder, each with its files in the order they are read. */
function entries(dir: string): { name: string; files: string[] }[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return []; // no such folder: nothing to add
  }
  const byName = new Map<string, string[]>();
  for (const entry of names) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = path.join(dir, entry);
    const folder = isFolder(full);
    const ext = folder ? '' : EXTENSIONS.find((e) => e && entry.endsWith(e)) ?? (path.extname(entry) ? undefined : '');
    if (ext === undefined) continue;
    const name = entry.slice(0, entry.length - ext.length);
    byName.set(name, [...(byName.get(name) ?? []), ...(folder ? filesUnder(full) : [full])]);
  }
  return [...byName].map(([name, files]) => ({ name, files })).filter((e) => e.files.length);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter((e) => !e.startsWith('.') && !e.endsWith('~'))
    .flatMap((e) => {
      const full = path.join(dir, e);
      if (isFolder(full)) return filesUnder(full);
      return EXTENSIONS.some((x) => (x ? e.endsWith(x) : !path.extname(e))) ? [full] : [];
    });
}

/** One vars file as a layer; undefined when it is empty or cannot be used (a problem says why). */
function varsFile(file: string, problems: Diagnostic[], read: InventoryFile[]): PlacedVars | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ code: 'E_FILE', severity: 'error', message: `cannot read ${displayPath(file)}: ${(e as Error).message}`, hint: 'Check the file\'s permissions.' });
    return undefined;
  }
  read.push({ absPath: file, text });
  const pos = { file: displayPath(file), line: 1, col: 1 };
  if (text.startsWith('$ANSIBLE_VAULT')) {
    const hint = 'Ansible Vault is not read: declare such values as secrets (an environment variable or a file) in the playbook or a kplay inventory.';
    problems.push({ code: 'E_INVENTORY', severity: 'error', message: `${pos.file} is encrypted with Ansible Vault`, hint, pos });
    return undefined;
  }
  // Ansible takes an empty vars file (or one of comments only) as no vars.
  if (!text.split('\n').some((l) => l.trim() && !l.trim().startsWith('#') && l.trim() !== '---')) return undefined;
  const src = loadYamlFile(file, problems);
  if (!src || src.value === undefined) return undefined;
  const v = src.value;
  if (v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    problems.push({ code: 'E_INVENTORY', severity: 'error', message: `${pos.file} holds ${Array.isArray(v) ? 'a list' : `a ${typeof v}`}, not a mapping of vars`, hint: 'A vars file is a mapping: name: value.', pos: posAt(src, []) });
    return undefined;
  }
  const vars = v as Record<string, unknown>;
  return { vars: { ...vars }, src, path: [], keyPos: Object.fromEntries(Object.keys(vars).map((k) => [k, keyPos(src, [], k) ?? posAt(src, [k])])) };
}

/** A file for a group or host the inventory does not have: Ansible ignores it; a typo is more likely. */
function unknownOwner(kind: 'group_vars' | 'host_vars', name: string, file: string, known: Iterable<string>, problems: Diagnostic[]): void {
  const close = suggest(name, known);
  problems.push({
    code: 'E_INVENTORY',
    severity: 'warning',
    message: `${kind}/: "${name}" is no ${kind === 'group_vars' ? 'group' : 'host'} of the inventory, so its vars are not used`,
    hint: close ? `Did you mean "${close}"?` : 'Rename the file after a group or host of the inventory, or remove it.',
    pos: { file: displayPath(file), line: 1, col: 1 },
  });
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
