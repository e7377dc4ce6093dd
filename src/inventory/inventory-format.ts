// Which format an inventory file is written in: Ansible's INI (told by a .ini name or a first
// [section] line), Ansible's YAML (top-level groups: all, children, hosts, vars) or kplay's own
// (hosts, groups, defaults, vars, secrets, cluster). A `$schema` comment naming kplay's inventory
// schema always means kplay's own.
import { readFileSync } from 'node:fs';
import type { YamlSource } from '../config/yaml-source.js';
import { looksLikeAnsibleYaml } from './ansible-yaml.js';
import { looksLikeIni } from './ini-inventory.js';

/** The text of an inventory file when it is Ansible's INI; undefined for YAML (or a file that cannot be read, reported by the YAML loader). */
export function iniInventoryText(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (/\.ya?ml$|\.json$/i.test(file) && !looksLikeIni(text)) return undefined;
  return /\.ini$/i.test(file) || looksLikeIni(text) ? text : undefined;
}

/** Whether a YAML inventory is Ansible's rather than kplay's own. */
export function isAnsibleYaml(src: YamlSource): boolean {
  if (/\$schema=\S*inventory\.schema\.json/.test(src.text.slice(0, 2000))) return false;
  return looksLikeAnsibleYaml(src.value);
}
