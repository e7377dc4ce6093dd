import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../errors.js';
import { suggest } from '../text/suggest.js';

/** The playbooks that come with kplay (two levels above this module, in source and build alike). */
export const SHIPPED_DIR = fileURLToPath(new URL('../../playbooks/', import.meta.url));

/** File names of the shipped playbooks (task files in lib/ are not playbooks). */
export function shippedPlaybooks(): string[] {
  return readdirSync(SHIPPED_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/**
 * A playbook argument to a file path: an existing path, or something written like one, is used as is;
 * a bare name ("debug-apiserver", "debug-apiserver.yaml") is looked up among the shipped playbooks,
 * so `kplay run debug-apiserver.yaml` works from any folder.
 */
export function resolvePlaybook(arg: string, problems: Diagnostic[]): string | undefined {
  if (existsSync(arg) || arg.includes('/') || arg.includes(path.sep)) return arg;
  for (const candidate of [arg, `${arg}.yaml`, `${arg}.yml`]) {
    const p = path.join(SHIPPED_DIR, candidate);
    if (existsSync(p)) return p;
  }
  const shipped = shippedPlaybooks();
  const close = suggest(arg.replace(/\.ya?ml$/, ''), shipped.map((f) => f.replace(/\.ya?ml$/, '')));
  problems.push({
    code: 'E_PLAYBOOK',
    severity: 'error',
    message: `no playbook "${arg}": not a file here, nor one of the shipped playbooks`,
    hint: close ? `Did you mean "${close}.yaml"? \`kplay list\` shows them all.` : `Shipped playbooks: ${shipped.join(', ')}; \`kplay list\` describes them.`,
  });
  return undefined;
}
