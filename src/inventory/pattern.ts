import type { Diagnostic, SourcePos } from '../errors.js';
import { suggest } from '../text/suggest.js';
import type { Inventory } from './inventory.js';

/** Where a pattern came from, for messages: a file position, or the flag that gave it. */
export type PatternSource = { pos: SourcePos } | { flag: string };

/** One source for all patterns, or one per pattern (a `hosts:` list, item by item). */
export type PatternSources = PatternSource | PatternSource[];

/**
 * Host names (in inventory order) matched by patterns: "all", host names, group names, globs with *,
 * and "!x" to leave hosts out. Unknown names are problems, never silently ignored.
 */
export function matchHosts(inv: Inventory, patterns: string[], from: PatternSources, problems: Diagnostic[]): string[] {
  const include = new Set<string>();
  const exclude = new Set<string>();
  const positives = patterns.filter((p) => !p.startsWith('!'));
  for (const [i, raw] of patterns.entries()) {
    const negate = raw.startsWith('!');
    const pattern = negate ? raw.slice(1) : raw;
    const names = expand(inv, pattern);
    if (names === undefined) {
      problems.push(unknownName(inv, pattern, Array.isArray(from) ? from[i]! : from));
      continue;
    }
    for (const n of names) (negate ? exclude : include).add(n);
  }
  // Exclusions alone ("--limit '!cp2'") mean "everything but".
  if (positives.length === 0) for (const n of inv.hosts.keys()) include.add(n);
  return [...inv.hosts.keys()].filter((n) => include.has(n) && !exclude.has(n));
}

/** Splits a --limit value: "cp1,cp2" or "cp1:cp2", as in Ansible. */
export function splitLimit(limit: string): string[] {
  return limit
    .split(/[,:]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function expand(inv: Inventory, pattern: string): string[] | undefined {
  if (pattern === 'all' || pattern === '*') return [...inv.hosts.keys()];
  if (inv.hosts.has(pattern)) return [pattern];
  const group = inv.groups.get(pattern);
  if (group) return group.hosts;
  if (pattern.includes('*')) {
    const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
    const hostMatches = [...inv.hosts.keys()].filter((n) => re.test(n));
    const groupMatches = [...inv.groups.entries()].filter(([n]) => re.test(n)).flatMap(([, g]) => g.hosts);
    // A glob that matches nothing is not an error: "cp*" on an inventory without cp hosts selects none.
    return [...new Set([...hostMatches, ...groupMatches])];
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function unknownName(inv: Inventory, name: string, from: PatternSource): Diagnostic {
  const known = [...inv.hosts.keys(), ...inv.groups.keys()];
  const close = suggest(name, known);
  const listed = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ');
  const where = 'flag' in from ? `${from.flag}: ` : '';
  return {
    code: 'E_INVENTORY',
    severity: 'error',
    message: `${where}no host or group named "${name}" in ${inv.file}`,
    hint: close ? `Did you mean "${close}"?` : `Known hosts and groups: ${listed || '(none)'}; or use "all".`,
    pos: 'pos' in from ? from.pos : undefined,
  };
}
