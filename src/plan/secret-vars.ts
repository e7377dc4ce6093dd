// Secret variables in planning: the dry run renders them as ******** (it needs no value), and a
// variable of the same name anywhere else is an error, since it would silently replace the secret.
import type { Diagnostic } from '../errors.js';
import type { Playbook, SecretDecl, SecretSource } from '../config/model.js';
import { resolveSecrets, secretShadows } from '../config/secrets.js';
import type { ResolvedSecret } from '../config/secrets.js';
import { posAt } from '../config/yaml-source.js';
import type { Inventory, InventoryHost } from '../inventory/inventory.js';
import { allVarLayers } from '../inventory/var-layers.js';
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

function sourceKey(name: string, s: SecretSource): string {
  return `${name} ${'env' in s ? `env:${s.env}` : `file:${s.file}`}`;
}

/**
 * A host's secrets: the playbook's, then the inventory's, its groups' (in the order the inventory
 * defines them) and its own, a later declaration of a name replacing an earlier one, as for vars.
 */
export function hostSecretDecls(playbook: Playbook, inv: Inventory, host: InventoryHost): SecretDecl[] {
  const byName = new Map<string, SecretDecl>();
  const levels = [playbook.secrets, inv.secrets, ...host.groups.map((g) => inv.groups.get(g)!.secrets), host.secrets];
  for (const level of levels) for (const d of level) byName.set(d.name, d);
  return [...byName.values()];
}

/** Every secret these hosts use, each name and source once: what a run reads before it starts. */
export function runSecretDecls(playbook: Playbook, inv: Inventory, hosts: Iterable<string>): SecretDecl[] {
  const found = new Map<string, SecretDecl>();
  for (const h of hosts) for (const d of hostSecretDecls(playbook, inv, inv.hosts.get(h)!)) if (!found.has(sourceKey(d.name, d.source))) found.set(sourceKey(d.name, d.source), d);
  return [...found.values()];
}

/** The secrets as template variables: their values when resolved, placeholders otherwise. */
export function secretVars(decls: readonly SecretDecl[], resolved: readonly ResolvedSecret[]): Record<string, unknown> {
  const values = new Map(resolved.map((s) => [sourceKey(s.name, s.source), s.value]));
  return Object.fromEntries(decls.map((d) => [d.name, values.get(sourceKey(d.name, d.source)) ?? new SecretPlaceholder(d.name)]));
}

/** Variables (inventory, -e, tasks) that would take a secret's place: each is an error. */
export function secretConflicts(playbook: Playbook, inv: Inventory, extraVars: Record<string, unknown>): Diagnostic[] {
  const inventoryDecls = [...inv.secrets, ...[...inv.groups.values()].flatMap((g) => g.secrets), ...[...inv.hosts.values()].flatMap((h) => h.secrets)];
  const names = new Set([...playbook.secrets, ...inventoryDecls].map((s) => s.name));
  // The playbook's own secrets were checked against its tasks when it was loaded.
  const problems: Diagnostic[] = secretShadows(inventoryDecls.filter((d) => !playbook.secrets.some((p) => p.name === d.name)), playbook.tasks);
  const hint = 'A secret takes its value only from its environment variable or file: rename the variable, or set the secret there.';
  for (const name of Object.keys(extraVars)) {
    if (names.has(name)) {
      problems.push({ code: 'E_SECRET', severity: 'error', message: `-e ${name}: "${name}" is a secret, and -e cannot set it (the value would show in the shell's history and the process list)`, hint });
    }
  }
  for (const l of allVarLayers(inv)) {
    for (const name of Object.keys(l.vars)) {
      if (!names.has(name)) continue;
      problems.push({ code: 'E_SECRET', severity: 'error', message: `"${name}" is a secret, and the inventory gives it a value in vars`, hint, pos: l.src && l.path ? posAt(l.src, [...l.path, name]) : l.keyPos?.[name] });
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
 * Every value a run's output must mask: the inventory's passwords and passphrases and the secrets
 * of the playbook and the inventory (those that can be read now).
 */
export function outputSecrets(playbook: Playbook, inventory: Inventory, env: NodeJS.ProcessEnv): string[] {
  const conns = [...inventory.hosts.values()].map((h) => h.connection);
  const decls = runSecretDecls(playbook, inventory, inventory.hosts.keys());
  return [...connectionSecretValues(conns, env), ...resolveSecrets(decls, env).secrets.map((s) => s.value)];
}

/** For a dry run: secrets that a run could not read, as warnings (the dry run itself needs no value). */
export function unreadableSecretWarnings(decls: SecretDecl[], env: NodeJS.ProcessEnv): Diagnostic[] {
  return resolveSecrets(decls, env, 'warning').problems.map((p) => ({
    ...p,
    hint: `${p.hint} The dry run shows ******** for it; a run stops here, before connecting.`,
  }));
}
