// Secret variables in planning: the dry run renders them as ******** (it needs no value), and a
// variable of the same name anywhere else is an error, since it would silently replace the secret.
import type { Diagnostic } from '../errors.js';
import type { Playbook, SecretDecl } from '../config/model.js';
import { resolveSecrets } from '../config/secrets.js';
import type { ResolvedSecret } from '../config/secrets.js';
import { posAt } from '../config/yaml-source.js';
import type { Inventory } from '../inventory/inventory.js';
import { MASK } from '../report/redact.js';
import { RuntimeValue } from '../template/index.js';

/**
 * A secret in a plan: a value known only at run time, shown as ********. Steps that read it are
 * rendered again when the run starts, with the value; the plan (and its JSON) never holds it.
 */
export class SecretPlaceholder extends RuntimeValue {
  constructor(readonly name: string) {
    super(`secret ${name}`);
  }

  override toString(): string {
    return MASK;
  }
}

/** The secrets as template variables: their values when resolved, placeholders otherwise. */
export function secretVars(decls: readonly SecretDecl[], resolved: readonly ResolvedSecret[]): Record<string, unknown> {
  const values = new Map(resolved.map((s) => [s.name, s.value]));
  return Object.fromEntries(decls.map((d) => [d.name, values.get(d.name) ?? new SecretPlaceholder(d.name)]));
}

/** Variables (inventory, -e) that would take a secret's place: each is an error. */
export function secretConflicts(playbook: Playbook, inv: Inventory, extraVars: Record<string, unknown>): Diagnostic[] {
  const names = new Set(playbook.secrets.map((s) => s.name));
  const problems: Diagnostic[] = [];
  const hint = 'A secret takes its value only from its environment variable or file: rename the variable, or set the secret there.';
  for (const name of Object.keys(extraVars)) {
    if (names.has(name)) {
      problems.push({ code: 'E_SECRET', severity: 'error', message: `-e ${name}: "${name}" is a secret, and -e cannot set it (the value would show in the shell's history and the process list)`, hint });
    }
  }
  const layers: { vars: Record<string, unknown>; path: (string | number)[] }[] = [{ vars: inv.vars, path: ['vars'] }];
  for (const [g, group] of inv.groups) layers.push({ vars: group.vars, path: ['groups', g, 'vars'] });
  for (const [h, host] of inv.hosts) layers.push({ vars: host.vars, path: ['hosts', h, 'vars'] });
  for (const l of layers) {
    for (const name of Object.keys(l.vars)) {
      if (!names.has(name)) continue;
      problems.push({ code: 'E_SECRET', severity: 'error', message: `"${name}" is a secret of the playbook, and the inventory gives it a value`, hint, pos: inv.src ? posAt(inv.src, [...l.path, name]) : undefined });
    }
  }
  return problems;
}

/** Where connection settings name their secrets: environment variables, never values. */
interface SecretEnvNames {
  passwordEnv?: string;
  passphraseEnv?: string;
  becomePasswordEnv?: string;
}

/** The values of the environment variables that connection settings name as passwords and passphrases. */
export function connectionSecretValues(settings: Iterable<SecretEnvNames>, env: NodeJS.ProcessEnv): string[] {
  const names = new Set<string>();
  for (const c of settings) for (const n of [c.passwordEnv, c.passphraseEnv, c.becomePasswordEnv]) if (n) names.add(n);
  return [...names].map((n) => env[n]).filter((v): v is string => Boolean(v));
}

/**
 * Every value a run's output must mask: the inventory's passwords and passphrases and the
 * playbook's secrets (those that can be read now).
 */
export function outputSecrets(playbook: Playbook, inventory: Inventory, env: NodeJS.ProcessEnv): string[] {
  const conns = [...inventory.hosts.values()].map((h) => h.connection);
  return [...connectionSecretValues(conns, env), ...resolveSecrets(playbook.secrets, env).secrets.map((s) => s.value)];
}

/** For a dry run: secrets that a run could not read, as warnings (the dry run itself needs no value). */
export function unreadableSecretWarnings(playbook: Playbook, env: NodeJS.ProcessEnv): Diagnostic[] {
  return resolveSecrets(playbook.secrets, env, 'warning').problems.map((p) => ({
    ...p,
    hint: `${p.hint} The dry run shows ******** for it; a run stops here, before connecting.`,
  }));
}
