import type { Diagnostic } from '../errors.js';
import { loadYamlFile, posAt } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses -e values: `KEY=VALUE` (the value is taken literally, as a string, never templated; only
 * `true` and `false` become booleans) and
 * `@file.yaml` (a mapping of variables). Later values override earlier ones. The files read are
 * added to `sources`.
 */
export function parseExtraVars(values: string[], problems: Diagnostic[], sources: YamlSource[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    if (v.startsWith('@')) {
      const before = problems.length;
      const src = loadYamlFile(v.slice(1), problems);
      // "file not found: x.yaml" alone does not say that -e asked for it.
      for (const p of problems.slice(before)) if (p.code === 'E_FILE') p.message = `-e ${v}: ${p.message}`;
      if (!src || src.value === undefined) continue;
      sources.push(src);
      const data = src.value;
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        problems.push({
          code: 'E_VARS',
          severity: 'error',
          message: `-e ${v}: a variables file is a mapping of names to values`,
          hint: 'Write one "name: value" line per variable.',
          pos: posAt(src, []),
        });
        continue;
      }
      for (const [k, val] of Object.entries(data)) {
        if (!NAME.test(k)) {
          problems.push({
            code: 'E_VARS',
            severity: 'error',
            message: `-e ${v}: "${k}" is not a variable name`,
            hint: 'Names are letters, digits and underscores, and do not start with a digit.',
            pos: posAt(src, [k]),
          });
        } else out[k] = val;
      }
      continue;
    }
    const eq = v.indexOf('=');
    const key = eq > 0 ? v.slice(0, eq) : '';
    if (!NAME.test(key)) {
      problems.push({
        code: 'E_VARS',
        severity: 'error',
        message: `-e ${JSON.stringify(v)}: expected KEY=VALUE or @file.yaml`,
        hint: 'For example -e dlv_port=2346, or -e @vars.yaml. Names are letters, digits and underscores.',
      });
      continue;
    }
    const value = v.slice(eq + 1);
    // true and false are switches (-e write_ide=false must turn it off, and the text "false" is
    // truthy); every other value stays the literal text, so that versions and ports keep their form.
    out[key] = value === 'true' ? true : value === 'false' ? false : value;
  }
  return out;
}
