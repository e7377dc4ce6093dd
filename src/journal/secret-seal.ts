// A rollback written with a secret (`rollback: curl -H "Authorization: {{token}}" ...`) must still
// run at rollback time, yet no journal may hold the value. So the value is journaled as a seal that
// names the secret and its source; the undo resolves it again, from the same environment variable
// or file, just before it runs, and fails with a clear message when it cannot.
import type { SecretSource } from '../config/model.js';
import { describeSource, readSecret } from '../config/secrets.js';
import type { ResolvedSecret } from '../config/secrets.js';
import { shellQuote, singleQuotedBody } from '../template/shell-quote.js';
import { mapStrings } from '../text/map-strings.js';

/**
 * The forms a value takes in a rendered command, by the word that names each in a seal:
 * `{{x}}` shell-quotes it; a longer quoted text holding it (`{{y}}` with y = "Bearer {{x}}") has
 * its quotes escaped; other fields hold it as it is. The longest form is sealed first.
 */
const FORMS = {
  'secret-quoted': shellQuote,
  'secret-in-quotes': singleQuotedBody,
  secret: (v: string) => v,
} as const;
type Form = keyof typeof FORMS;

// ⟦FORM NAME env:VAR⟧ or ⟦FORM NAME file:PATH⟧ (the path URI-encoded).
// (\u27e6 and \u27e7 are ⟦ and ⟧: the CLI bundle is kept to ASCII, see scripts/bundle.mjs.)
const SEAL = /\u27e6(secret|secret-quoted|secret-in-quotes) ([A-Za-z_][A-Za-z0-9_]*) (env|file):([^\u27e7\s]+)\u27e7/g;

function sealOf(s: ResolvedSecret, form: Form): string {
  const where = 'env' in s.source ? `env:${s.source.env}` : `file:${encodeURIComponent(s.source.file)}`;
  return `⟦${form} ${s.name} ${where}⟧`;
}

/** `v` with every occurrence of a secret's value (in any of its forms) replaced by its seal. */
export function sealSecrets<T>(v: T, secrets: readonly ResolvedSecret[]): T {
  if (!secrets.length) return v;
  const seals = new Map<string, string>();
  for (const secret of secrets) {
    for (const form of Object.keys(FORMS) as Form[]) {
      const text = FORMS[form](secret.value);
      if (!seals.has(text)) seals.set(text, sealOf(secret, form));
    }
  }
  // One pass, longest first: a secret that contains another is sealed whole, and no seal is
  // looked into again.
  const forms = [...seals.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return mapStrings(v, (s) => s.replace(pattern, (m) => seals.get(m)!)) as T;
}

/** A sealed secret: its name, where it comes from, and the part of its seals that says both. */
interface Sealed {
  key: string;
  name: string;
  source: SecretSource;
}

function sealKey(name: string, kind: string, where: string): string {
  return `${name} ${kind}:${where}`;
}

/** The secrets a sealed value names (each once). */
function sealedSources(v: unknown): Sealed[] {
  const found = new Map<string, Sealed>();
  mapStrings(v, (s) => {
    for (const [, , name, kind, where] of s.matchAll(SEAL)) {
      const source: SecretSource = kind === 'env' ? { env: where! } : { file: decodeURIComponent(where!) };
      found.set(sealKey(name!, kind!, where!), { key: sealKey(name!, kind!, where!), name: name!, source });
    }
    return s;
  });
  return [...found.values()];
}

/**
 * `v` with its seals replaced by the secrets' values, read again now; or why it cannot be
 * (naming the secret and its source, never a value).
 */
export function unsealSecrets<T>(v: T, env: NodeJS.ProcessEnv): { value: T; secrets: string[] } | { problem: string } {
  const values = new Map<string, string>();
  for (const { key, name, source } of sealedSources(v)) {
    const r = readSecret(source, env);
    if (!('value' in r)) {
      return { problem: `this undo needs the secret "${name}" from ${describeSource(source)}, and ${r.problem}; make it available and run kplay rollback again` };
    }
    values.set(key, r.value);
  }
  if (!values.size) return { value: v, secrets: [] };
  const value = mapStrings(v, (s) =>
    s.replace(SEAL, (_m, form: Form, name: string, kind: string, where: string) => FORMS[form](values.get(sealKey(name, kind, where))!)),
  ) as T;
  return { value, secrets: [...values.values()] };
}

/** The values of every secret sealed in these journal entries that can be read now (for masking output). */
export function sealedSecretValues(v: unknown, env: NodeJS.ProcessEnv): string[] {
  return sealedSources(v).flatMap(({ source }) => {
    const r = readSecret(source, env);
    return 'value' in r ? [r.value] : [];
  });
}
