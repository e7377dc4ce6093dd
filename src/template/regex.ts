// Regular expressions for regex_search, regex_replace, regex_findall, match and search. They are
// JavaScript's, with the Python spellings Ansible users bring where they mean the same:
// (?P<name>...), (?P=name), leading inline flags such as (?i), and \1 / \g<name> in replacements.
import { ValueProblem } from './convert.js';

const cache = new Map<string, RegExp>();
// Patterns usually come from a playbook's text: a few dozen per process. A run-time pattern
// per host could grow the cache without end, so it starts over past this size.
const CACHE_LIMIT = 500;

const INLINE_FLAGS = /^\(\?([a-zA-Z]+)\)/;
const JS_FLAGS: Readonly<Record<string, string>> = { i: 'i', m: 'm', s: 's' };

function translate(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  const inline = INLINE_FLAGS.exec(source);
  if (inline) {
    for (const f of inline[1] as string) {
      const js = JS_FLAGS[f];
      if (js === undefined) throw new ValueProblem(`regular expression /${pattern}/: the inline flag "${f}" is not supported`, 'kplay understands (?i) ignore case, (?m) multi-line and (?s) dot matches newline', 1);
      if (!flags.includes(js)) flags += js;
    }
    source = source.slice(inline[0].length);
  }
  source = source.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  return { source, flags };
}

/** The compiled pattern, with `extra` flags ("g", "y"); a pattern that does not compile is a ValueProblem. */
export function regexOf(pattern: string, extra = ''): RegExp {
  const key = `${extra}\0${pattern}`;
  const known = cache.get(key);
  if (known) {
    known.lastIndex = 0;
    return known;
  }
  const { source, flags } = translate(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, flags + extra);
  } catch (err) {
    const why = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new ValueProblem(`regular expression /${pattern}/ does not compile: ${why}`, 'patterns are JavaScript regular expressions; escape a literal character with \\\\ (in YAML double quotes) or \\ (plain or single-quoted)', 1);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, re);
  return re;
}

/** How many capture groups a pattern has, and the names of the named ones. */
export function groupsOf(re: RegExp): { count: number; names: string[] } {
  // An empty alternative matches anywhere, so exec() shows every group, unset.
  const m = new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, '')).exec('') as RegExpExecArray;
  return { count: m.length - 1, names: Object.keys(m.groups ?? {}) };
}

/** A group reference (1, "name", or Ansible's "\\1" / "\\g<name>") as a number or a name. */
export function groupRef(ref: unknown, re: RegExp): number | string {
  let g: number | string | undefined;
  if (typeof ref === 'number' && Number.isInteger(ref) && ref >= 0) g = ref;
  if (typeof ref === 'string') {
    const m = /^(?:\\g<(\w+)>|\\(\d+)|(\w+))$/.exec(ref);
    const text = m?.[1] ?? m?.[2] ?? m?.[3];
    g = text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;
  }
  const { count, names } = groupsOf(re);
  if (g === undefined || (typeof g === 'number' ? g > count : !names.includes(g))) {
    const has = count === 0 ? 'it has no groups' : `it has ${count} group${count === 1 ? '' : 's'}${names.length ? ` (named ${names.join(', ')})` : ''}`;
    const named = g === undefined ? JSON.stringify(ref) : typeof g === 'number' ? String(g) : JSON.stringify(g);
    throw new ValueProblem(`no group ${named} in the regular expression /${re.source}/: ${has}`, 'name a group by its number (0 is the whole match) or by the name in (?<name>...)', 2);
  }
  return g;
}

/** `regex_search`: the first match (or one of its groups) as text, or null when nothing matches. */
export function regexSearch(text: string, pattern: string, group?: unknown): string | null {
  const re = regexOf(pattern);
  const g = group === undefined ? 0 : groupRef(group, re);
  const m = re.exec(text);
  if (!m) return null;
  return (typeof g === 'number' ? m[g] : m.groups?.[g]) ?? null;
}

/** `match` (anchored at the start, as Python's re.match) and `search` (anywhere). */
export function regexTest(text: string, pattern: string, anchored: boolean): boolean {
  return regexOf(pattern, anchored ? 'y' : '').test(text);
}

/** `regex_findall`: every match; with one group, that group's text; with several, a list of them (as Python). */
export function regexFindall(text: string, pattern: string): unknown[] {
  const re = regexOf(pattern, 'g');
  const { count } = groupsOf(re);
  return [...text.matchAll(re)].map((m) => (count === 0 ? m[0] : count === 1 ? (m[1] ?? '') : m.slice(1).map((x) => x ?? '')));
}

/** A piece of a replacement: literal text, a group by number, or a group by name. */
type Piece = string | number | { name: string };

// Python's replacement syntax: \1, \g<1>, \g<name>, \\ and \n; anything else stays as written,
// and `$` is an ordinary character.
function replacementPieces(replacement: string, re: RegExp): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of replacement.matchAll(/\\(?:(\d{1,2})|g<(\w+)>|(\\)|(n)|(t))/g)) {
    pieces.push(replacement.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[3] || m[4] || m[5]) {
      pieces.push(m[3] ? '\\' : m[4] ? '\n' : '\t');
      continue;
    }
    const ref = groupRef(m[1] ?? `\\g<${m[2] as string}>`, re);
    pieces.push(typeof ref === 'number' ? ref : { name: ref });
  }
  pieces.push(replacement.slice(last));
  return pieces;
}

/** `regex_replace`: every match replaced, with Python's group references in the replacement. */
export function regexReplace(text: string, pattern: string, replacement: string): string {
  const re = regexOf(pattern, 'g');
  const pieces = replacementPieces(replacement, re);
  return text.replace(re, (...m: unknown[]) => {
    // With named groups, replace() passes their object last.
    const named = typeof m.at(-1) === 'object' ? (m.at(-1) as Record<string, string | undefined>) : {};
    return pieces.map((p) => (typeof p === 'string' ? p : typeof p === 'number' ? ((m[p] as string | undefined) ?? '') : (named[p.name] ?? ''))).join('');
  });
}
