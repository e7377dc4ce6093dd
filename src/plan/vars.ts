import type { Diagnostic } from '../errors.js';
import { posAt } from '../config/yaml-source.js';
import type { DataPath, YamlSource } from '../config/yaml-source.js';
import { isRuntimeValue, RuntimeValue } from '../template/index.js';
import { PlacedTemplateError, placed, templateAt } from './task-templates.js';
import type { TemplateSite } from './task-templates.js';

/** One level of variables, lowest precedence first in a list of layers. */
export interface VarLayer {
  vars: Record<string, unknown>;
  /** Where the mapping is written; absent for -e values, which are never templates. */
  src?: YamlSource;
  path?: DataPath;
}

/** A variable whose template reads a value known only at run time; its preview text keeps the placeholders. */
export class RuntimeText extends RuntimeValue {
  override toString(): string {
    return this.label;
  }
}

interface Entry {
  value: unknown;
  /** The layer the value comes from: where it is written, for messages. */
  layer: VarLayer;
}

/** Where a variable is written; none for -e values, which are never templates. */
function siteOf(entry: Entry, name: string): TemplateSite | undefined {
  const { src, path } = entry.layer;
  return src && path ? { src, dataPath: [...path, name] } : undefined;
}

/** Resolved variables, and those that could not be resolved (already reported). */
export interface ResolvedVars {
  vars: Record<string, unknown>;
  /** Variables in a cycle or with a broken template, and every variable that reads one of them. */
  failed: ReadonlySet<string>;
}

/**
 * Merges layers (later wins) and renders string values that are templates, in dependency order,
 * against `base` (host facts, registered results) and each other. Problems (missing variables,
 * cycles) go into `problems` once; the variables concerned are left out and listed as failed, so
 * that what reads them is not reported again as "undefined".
 */
export function resolveVars(layers: VarLayer[], base: Record<string, unknown>, problems: Diagnostic[]): ResolvedVars {
  // Every variable of every layer passes here for each task with vars of its own: where each is
  // written is worked out only for the templates among them.
  const merged = new Map<string, Entry>();
  for (const layer of layers) {
    for (const name in layer.vars) merged.set(name, { value: layer.vars[name], layer });
  }
  const out: Record<string, unknown> = { ...base };
  const done = new Set<string>();
  const failed = new Set<string>();

  const resolve = (name: string, stack: string[]): void => {
    if (done.has(name)) return;
    const entry = merged.get(name)!;
    const site = typeof entry.value === 'string' && entry.value.includes('{{') ? siteOf(entry, name) : undefined;
    if (!site) {
      out[name] = entry.value;
      done.add(name);
      return;
    }
    if (stack.includes(name)) {
      const cycle = stack.slice(stack.indexOf(name));
      for (const n of cycle) failed.add(n);
      problems.push({
        code: 'E_VARS',
        severity: 'error',
        message: `variable "${name}" depends on itself: ${[...stack.slice(stack.indexOf(name)), name].join(' -> ')}`,
        hint: 'Give one of these variables a plain value.',
        pos: posAt(site.src, site.dataPath),
      });
      done.add(name);
      return;
    }
    try {
      const t = templateAt(entry.value as string, 'text', site); // site is set only for a string holding {{
      let runtime = false;
      for (const ref of t.references) {
        if (merged.has(ref.root) && ref.root !== name) resolve(ref.root, [...stack, name]);
        if (ref.root === name) resolve(name, [...stack, name]);
        if (isRuntimeValue(out[ref.root])) runtime = true;
      }
      if (done.has(name)) return; // a cycle through this variable was reported above
      if (t.references.some((r) => failed.has(r.root))) {
        failed.add(name);
        done.add(name);
        return;
      }
      const text = t.render(out);
      out[name] = runtime ? new RuntimeText(text) : text;
    } catch (err) {
      const p = placed(err, site, `variable "${name}": `);
      if (!(p instanceof PlacedTemplateError)) throw p;
      problems.push(p.diagnostic);
      failed.add(name);
    }
    done.add(name);
  };

  for (const name of merged.keys()) resolve(name, []);
  for (const name of failed) delete out[name];
  return { vars: out, failed };
}
