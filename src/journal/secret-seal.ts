// A rollback written with a secret (`rollback: curl -H "Authorization: {{token}}" ...`) must still
// run at rollback time, yet no journal may hold the value. So the value is journaled as a seal that
// names the secret and its source; the undo resolves it again, from the same environment variable
// or file, just before it runs, and fails with a clear message when it cannot.
import type { SecretSource } from '../config/model.js';
import { describeSource, readSecret } from '../config/secrets.js';
import type { ResolvedSecret } from '../config/secrets.js';
import { shellQuote } from '../template/shell-quote.js';

// ⟦secret NAME env:VAR⟧ or ⟦secret NAME file:PATH⟧ (the path URI-encoded); "secret-quoted" stands
// for the value shell-quoted, as `{{x}}` puts it into a command.
const SEAL = /⟦(secret|secret-quoted) ([A-Za-z_][A-Za-z0-9_]*) (env|file):([^⟧\s]+)⟧/g;

function sealOf(s: ResolvedSecret, quoted: boolean): string {
  const where = 'env' in s.source ? `env:${s.source.env}` : `file:${encodeURIComponent(s.source.file)}`;
  return `⟦${quoted ? 'secret-quoted' : 'secret'} ${s.name} ${where}⟧`;
}

/** Maps every string in a JSON-like value (arrays and plain objects, at any depth). */
function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

/** `v` with every occurrence of a secret's value (as is, or shell-quoted) replaced by its seal. */
export function sealSecrets<T>(v: T, secrets: readonly ResolvedSecret[]): T {
  if (!secrets.length) return v;
  const seals = new Map<string, string>();
  for (const secret of secrets) {
    seals.set(shellQuote(secret.value), sealOf(secret, true));
    if (!seals.has(secret.value)) seals.set(secret.value, sealOf(secret, false));
  }
  // One pass, longest first: a secret that contains another is sealed whole, and no seal is
  // looked into again.
  const forms = [...seals.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return mapStrings(v, (s) => s.replace(pattern, (m) => seals.get(m)!)) as T;
}

/** The secrets a sealed value names (each once). */
export function sealedSources(v: unknown): { name: string; source: SecretSource }[] {
  const found = new Map<string, { name: string; source: SecretSource }>();
  mapStrings(v, (s) => {
    for (const m of s.matchAll(SEAL)) {
      const source: SecretSource = m[3] === 'env' ? { env: m[4]! } : { file: decodeURIComponent(m[4]!) };
      found.set(`${m[2]} ${m[3]}:${m[4]}`, { name: m[2]!, source });
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
  for (const { name, source } of sealedSources(v)) {
    const r = readSecret(source, env);
    if (!('value' in r)) {
      return { problem: `this undo needs the secret "${name}" from ${describeSource(source)}, and ${r.problem}; make it available and run kplay rollback again` };
    }
    values.set(`${name} ${'env' in source ? `env:${source.env}` : `file:${encodeURIComponent(source.file)}`}`, r.value);
  }
  if (!values.size) return { value: v, secrets: [] };
  const value = mapStrings(v, (s) =>
    s.replace(SEAL, (_m, how: string, name: string, kind: string, where: string) => {
      const secret = values.get(`${name} ${kind}:${where}`)!;
      return how === 'secret-quoted' ? shellQuote(secret) : secret;
    }),
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
