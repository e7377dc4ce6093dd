// Secret variables: declared in the playbook or the inventory, their values read on the controller from an
// environment variable or a file when a run starts. The values never come from YAML or -e, and
// nothing that kplay writes or prints holds them (see report/redact.ts and journal/secret-seal.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { SecretDecl, SecretSource, TaskSpec } from './model.js';
import type { SecretSource as WrittenSource } from './playbook.generated.js';
import { posAt } from './yaml-source.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** A secret with its value, known only while kplay runs. */
export interface ResolvedSecret {
  name: string;
  source: SecretSource;
  value: string;
}

/**
 * Shorter values would be masked all over the output (in ordinary words and numbers) and would
 * still say a lot about the secret; the same limit as the masking of inventory passwords.
 */
export const MIN_SECRET_LENGTH = 4;

/** A mapping that may declare secrets beside its vars: a playbook, an inventory, a group, a host. */
interface SecretHolder {
  secrets?: Record<string, Pick<WrittenSource, 'env' | 'file'>>;
  vars?: Record<string, unknown>;
}

/**
 * The `secrets:` of the mapping at `at` as declarations, file paths made absolute (relative to
 * the file they are written in). A variable of the same name beside them is an error.
 */
export function secretDecls(src: YamlSource, at: DataPath, holder: SecretHolder, problems: Diagnostic[]): SecretDecl[] {
  const out: SecretDecl[] = [];
  for (const [name, w] of Object.entries(holder.secrets ?? {})) {
    const pos = posAt(src, [...at, 'secrets', name]);
    if (RESERVED.has(name)) {
      problems.push({ code: 'E_SECRET', severity: 'error', message: `"${name}" is a name kplay gives every task; a secret cannot take it`, hint: 'Rename the secret.', pos });
    }
    if (holder.vars && name in holder.vars) {
      problems.push({
        code: 'E_SECRET',
        severity: 'error',
        message: `"${name}" is both a secret and a variable with a value in vars`,
        hint: 'A secret has no value in YAML: remove it from vars (or rename one of the two).',
        pos: posAt(src, [...at, 'vars', name]),
      });
    }
    const source: SecretSource = w.env !== undefined ? { env: w.env } : { file: path.resolve(path.dirname(src.absPath), w.file!) };
    out.push({ name, source, pos });
  }
  return out;
}

/** Names every template already has a meaning for. */
const RESERVED = new Set(['host', 'playbook_dir', 'task_dir']);

/** Tasks that would replace a secret with a value of their own (task vars, register): each is an error there. */
export function secretShadows(decls: readonly SecretDecl[], tasks: readonly TaskSpec[]): Diagnostic[] {
  const names = new Set(decls.map((d) => d.name));
  const problems: Diagnostic[] = [];
  const hint = 'A secret takes its value only from its environment variable or file: rename one of the two.';
  for (const t of tasks) {
    for (const name of Object.keys(t.vars).filter((n) => names.has(n))) {
      problems.push({ code: 'E_SECRET', severity: 'error', message: `task "${t.name}": vars gives the secret "${name}" a value`, hint, pos: t.origin.pos });
    }
    if (t.register !== undefined && names.has(t.register)) {
      problems.push({ code: 'E_SECRET', severity: 'error', message: `task "${t.name}": register would replace the secret "${t.register}" with its result`, hint, pos: posAt(t.origin.src, [...t.origin.dataPath, 'register']) });
    }
  }
  return problems;
}

/** How a source is named in messages. */
export function describeSource(s: SecretSource): string {
  return 'env' in s ? `environment variable ${s.env}` : `file ${s.file}`;
}

/** Reads a secret's value; a message (never holding the value) when it cannot. */
export function readSecret(source: SecretSource, env: NodeJS.ProcessEnv): { value: string } | { problem: string; hint: string } {
  let value: string | undefined;
  if ('env' in source) {
    value = env[source.env];
    if (value === undefined) return { problem: `environment variable ${source.env} is not set`, hint: `Set it before running kplay: export ${source.env}=... (or read it from a file with {file: PATH}).` };
  } else {
    try {
      // One final newline is what `echo value > file` leaves; it is not part of the secret.
      value = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? (e as Error).message})`;
      return { problem: `file ${source.file} ${why}`, hint: 'Create the file with the secret in it (chmod 600), or point the declaration at the right one.' };
    }
  }
  if (value.length < MIN_SECRET_LENGTH) {
    return { problem: `the value in ${describeSource(source)} is ${value.length ? `shorter than ${MIN_SECRET_LENGTH} characters` : 'empty'}`, hint: `A secret needs at least ${MIN_SECRET_LENGTH} characters: shorter values cannot be masked in output without masking ordinary words too.` };
  }
  return { value };
}

/** Reads every declared secret; each one that cannot be read is a problem at its declaration. */
export function resolveSecrets(decls: SecretDecl[], env: NodeJS.ProcessEnv, severity: Diagnostic['severity'] = 'error'): { secrets: ResolvedSecret[]; problems: Diagnostic[] } {
  const secrets: ResolvedSecret[] = [];
  const problems: Diagnostic[] = [];
  for (const d of decls) {
    const r = readSecret(d.source, env);
    if ('value' in r) secrets.push({ name: d.name, source: d.source, value: r.value });
    else problems.push({ code: 'E_SECRET', severity, message: `secret "${d.name}": ${r.problem}`, hint: r.hint, pos: d.pos });
  }
  return { secrets, problems };
}
