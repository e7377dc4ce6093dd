// The interface a task file declares (`needs`, `provides`) and the check of each include against it.
// Loading records, for every include of a file that declares needs, what the includes around it
// define; what the inventory and -e define is known only when a plan is built (or when validate
// is given inventories), so the check takes that part as a function.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic, SourcePos } from '../errors.js';
import { SHIPPED_DIR } from '../playbooks/shipped.js';
import { SHIPPED_PREFIX } from './file-ref.js';
import { loadYamlFile, posAt } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

/** What a task file says it needs from where it is included, and what it registers for the tasks after it. */
export interface TaskFileInterface {
  needsVars: string[];
  needsRegistered: string[];
  provides: string[];
}

/** The written mapping form of a task file (schemas/playbook.schema.json#/definitions/taskFile). */
export interface WrittenTaskFile {
  needs?: { vars?: string[]; registered?: string[] };
  provides?: string[];
  tasks: unknown[];
}

/** An include of a file that declares needs, with what was already defined where it is written. */
export interface IncludeContract {
  /** The included file as the include names it. */
  file: string;
  /** The include's file argument, where a missing need is reported. */
  pos: SourcePos;
  needsVars: string[];
  needsRegistered: string[];
  /**
   * Variables defined around the include: its own vars and those of the includes around it, and the
   * needs of the files around it (their own includes answer for those, so a missing one is reported
   * once, at the outermost include).
   */
  given: string[];
  /** Results registered by the tasks before the include. */
  registeredBefore: string[];
}

/** The includes to check, and which included file provides each registered result (for hints). */
export interface TaskFileContracts {
  contracts: IncludeContract[];
  providers: Record<string, string>;
}

/** A task file's tasks and interface, from either written form: a plain list has no interface. */
export function splitTaskFile(src: YamlSource): { tasks: unknown[]; listPath: (string | number)[]; iface?: TaskFileInterface } {
  if (Array.isArray(src.value)) return { tasks: src.value, listPath: [] };
  const w = src.value as WrittenTaskFile;
  return {
    tasks: w.tasks,
    listPath: ['tasks'],
    iface: { needsVars: w.needs?.vars ?? [], needsRegistered: w.needs?.registered ?? [], provides: w.provides ?? [] },
  };
}

/** A `provides` entry that no task of the file registers is a promise the file does not keep. */
export function unkeptProvides(src: YamlSource, iface: TaskFileInterface, registers: ReadonlySet<string>): Diagnostic[] {
  return iface.provides.flatMap((name, i): Diagnostic[] =>
    registers.has(name)
      ? []
      : [
          {
            code: 'E_NEEDS',
            severity: 'error',
            message: `provides "${name}", but no task in this file registers it`,
            hint: `Add register: ${name} to the task that makes it (or set it with set_fact), or remove "${name}" from provides.`,
            pos: posAt(src, ['provides', i]),
          },
        ],
  );
}

/**
 * The needs of included task files that nothing defines: each is an error at its include.
 * `defined` says whether a variable is set outside the task files (playbook vars and vars_files,
 * secrets, the inventory, -e); a variable also stands in for a registered result of its name.
 */
export function unmetNeeds({ contracts, providers }: TaskFileContracts, defined: (name: string) => boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of contracts) {
    const has = (name: string): boolean => c.given.includes(name) || defined(name);
    const missing = c.needsVars.filter((n) => !has(n));
    if (missing.length) {
      const names = missing.map((n) => `"${n}"`).join(', ');
      const shipped = shippedDefaultsOf(missing);
      out.push({
        code: 'E_NEEDS',
        severity: 'error',
        message:
          missing.length === 1
            ? `${c.file} needs the variable ${names}, which is not defined where it is included`
            : `${c.file} needs ${missing.length} variables that are not defined where it is included: ${names}`,
        hint:
          (shipped.length ? `Add vars_files: [${shipped.join(', ')}] (kplay's defaults), or define ` : 'Define ') +
          `${missing.length === 1 ? 'it' : 'them'} in the playbook's vars, the inventory, with -e ${missing[0]}=VALUE, or in this include's vars.`,
        pos: c.pos,
      });
    }
    for (const name of c.needsRegistered.filter((n) => !c.registeredBefore.includes(n) && !has(n))) {
      const provider = providers[name];
      out.push({
        code: 'E_NEEDS',
        severity: 'error',
        message: `${c.file} needs the registered result "${name}", which no task before this include registers`,
        hint: provider
          ? `Include ${provider} (it provides "${name}") before this include, or register "${name}" in a task of your own before it.`
          : `Register "${name}" in a task before this include (register: ${name}), or define a variable "${name}".`,
        pos: c.pos,
      });
    }
  }
  return out;
}

/** The shipped vars files (kplay:lib/*-vars.yaml) that give a default to any of these names: read only when something is missing. */
function shippedDefaultsOf(names: string[]): string[] {
  const lib = path.join(SHIPPED_DIR, 'lib');
  let files: string[];
  try {
    files = readdirSync(lib);
  } catch {
    return []; // only a hint: an install without the shipped lib just gives none
  }
  return files
    .filter((f) => f.endsWith('-vars.yaml'))
    .sort()
    .filter((f) => {
      const vars = (loadYamlFile(path.join(lib, f), [])?.value as { vars?: Record<string, unknown> } | undefined)?.vars ?? {};
      return names.some((n) => Object.hasOwn(vars, n));
    })
    .map((f) => `${SHIPPED_PREFIX}lib/${f}`);
}
