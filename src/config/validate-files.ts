import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { looksLikeAnsibleYaml } from '../inventory/ansible-yaml.js';
import { inventoryFromSource, loadInventory } from '../inventory/inventory.js';
import { iniInventoryText } from '../inventory/inventory-format.js';
import { checkPlaybookValues } from '../plan/check.js';
import { checkTaskTemplates } from '../plan/task-templates.js';
import { undeclaredReads } from '../plan/task-reads.js';
import { checkTemplateFileSyntax } from '../plan/template-files.js';
import type { Playbook, TaskSpec } from './model.js';
import { playbookFromSource, taskFileFromSource, varsFileFromSource } from './playbook-load.js';
import { unmetNeeds } from './task-interface.js';
import { loadYamlFile } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

/** The kinds of file kplay reads. */
export type FileKind = 'playbook' | 'tasks' | 'inventory' | 'vars';

/** The result of checking one file. */
export interface FileCheck {
  file: string;
  kind?: FileKind;
  problems: Diagnostic[];
}

/**
 * Which kind of file this is: a `$schema` comment decides; otherwise the shape (a list is a task file,
 * a mapping with tasks a playbook, a mapping whose hosts is a mapping an inventory).
 */
export function detectKind(src: YamlSource): FileKind | undefined {
  const declared = /\$schema=\S*?(playbook|tasks|inventory|vars)\.schema\.json/.exec(src.text.slice(0, 2000));
  if (declared) return declared[1] as FileKind;
  const v = src.value;
  if (Array.isArray(v)) return 'tasks';
  if (!v || typeof v !== 'object') return undefined;
  const m = v as Record<string, unknown>;
  // A task file's mapping form: its interface, then its tasks.
  if (('needs' in m || 'provides' in m) && !('hosts' in m) && !('name' in m)) return 'tasks';
  if ('tasks' in m || typeof m.hosts === 'string' || Array.isArray(m.hosts)) return 'playbook';
  if ('hosts' in m || 'groups' in m || 'defaults' in m || 'cluster' in m) return 'inventory';
  if (looksLikeAnsibleYaml(m)) return 'inventory';
  // Shared defaults; other keys (typos) are the vars schema's to report. A named mapping is a
  // playbook missing its hosts or tasks, and is reported as one above.
  if ('vars' in m && !('name' in m)) return 'vars';
  return undefined;
}

/** The names of the variables an inventory file defines (top, group and host vars); none when it is not one. */
export function inventoryVarNames(file: string): string[] {
  const src = iniInventoryText(file) === undefined ? loadYamlFile(file, []) : undefined;
  if (src && detectKind(src) !== 'inventory') return [];
  const inv = src ? inventoryFromSource(src, []).value : loadInventory(file).value;
  if (!inv) return [];
  return [...Object.keys(inv.vars), ...[...inv.groups.values()].flatMap((g) => Object.keys(g.vars)), ...[...inv.hosts.values()].flatMap((h) => Object.keys(h.vars))];
}

/**
 * Checks one file completely (YAML, schema, includes, templates, template files) and returns every
 * problem. A playbook's templates are rendered with its own variables and, as unknown values, the
 * names in `outsideVars` (what the inventories validated with it define).
 */
export function checkFile(file: string, outsideVars: ReadonlySet<string> = new Set()): FileCheck {
  // Ansible's INI inventories are not YAML: read as they are.
  if (iniInventoryText(file) !== undefined) return { file, kind: 'inventory', problems: loadInventory(file).problems };
  const problems: Diagnostic[] = [];
  const src = loadYamlFile(file, problems);
  if (!src || src.value === undefined) return { file, problems };
  const kind = detectKind(src);
  let tasks: TaskSpec[] | undefined;
  let playbook: Playbook | undefined;
  switch (kind) {
    case 'playbook':
      playbook = playbookFromSource(src, problems).value;
      tasks = playbook?.tasks;
      if (playbook) problems.push(...unmetNeeds(playbook.taskFiles, (name) => playbookDefines(playbook!, name) || outsideVars.has(name)));
      break;
    case 'tasks': {
      const loaded = taskFileFromSource(src, problems).value;
      tasks = loaded?.tasks;
      // On its own, a task file can count only on what it declares it needs.
      if (loaded) problems.push(...unmetNeeds(loaded.taskFiles, () => false));
      if (loaded?.iface) problems.push(...undeclaredReads(loaded.tasks, loaded.iface, src));
      break;
    }
    case 'inventory':
      inventoryFromSource(src, problems);
      break;
    case 'vars':
      varsFileFromSource(src, problems);
      break;
    default:
      problems.push({
        code: 'E_KIND',
        severity: 'error',
        message: 'cannot tell whether this is a playbook, a task file, an inventory or a vars file',
        hint: 'A playbook has name, hosts and tasks; a task file is a list of tasks; an inventory has hosts: with one entry per host; a vars file has vars:. Or add a first line "# yaml-language-server: $schema=…/playbook.schema.json".',
        pos: { file: src.file, line: 1, col: 1 },
      });
  }
  for (const t of tasks ?? []) checkTaskTemplates(t, problems);
  // Rendering a playbook with mistakes left would mostly report them again, differently.
  if (playbook && !problems.some((p) => p.severity === 'error')) checkPlaybookValues(playbook, outsideVars, problems);
  else checkTemplateFileSyntax(tasks ?? [], problems);
  return { file, kind, problems };
}

/** Whether the playbook itself (its vars, vars files or secrets) defines a variable. */
function playbookDefines(playbook: Playbook, name: string): boolean {
  return Object.hasOwn(playbook.vars, name) || playbook.varsFiles.some((f) => Object.hasOwn(f.vars, name)) || playbook.secrets.some((s) => s.name === name);
}

/**
 * Checks files and folders: a folder stands for every YAML file (.yaml, .yml) under it, at any
 * depth, in name order; hidden folders and node_modules are left out. A folder with none is
 * reported, so that a typo in its name does not pass as "nothing wrong".
 */
export function checkPaths(paths: string[], outsideOf: (files: string[]) => ReadonlySet<string> = () => new Set()): FileCheck[] {
  const expanded = paths.map((p) => (isFolder(p) ? { folder: p, files: yamlFilesUnder(p) } : { files: [p] }));
  // The variables of the inventories among all the files count for every playbook among them.
  const outside = outsideOf(expanded.flatMap((e) => e.files));
  return expanded.flatMap((e): FileCheck[] => {
    if (e.files.length) return e.files.map((f) => checkFile(f, outside));
    const hint = 'Name the files to check, or a folder that holds them.';
    return [{ file: e.folder!, problems: [{ code: 'E_FILE', severity: 'error', message: `${e.folder} is a folder with no .yaml or .yml file in it`, hint }] }];
  });
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // a missing path is reported by the check of the file, like any other
  }
}

function yamlFilesUnder(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith('.') || e.name === 'node_modules' ? [] : yamlFilesUnder(p);
    return /\.ya?ml$/.test(e.name) && (e.isFile() || isFile(p)) ? [p] : [];
  });
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
