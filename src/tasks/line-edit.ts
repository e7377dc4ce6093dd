// The text editing of `lineinfile`, as Ansible's lineinfile module does it, on a file's text in
// memory: the controller reads the host's file, edits it here and writes it back. One
// implementation serves `--check` (the diff) and the run (the write), so what the check shows is
// what the run writes. Regular expressions are JavaScript's; where Python's differ, a pattern
// that would silently mean something else is refused with what to write instead.

/** What lineinfile is asked to do, its arguments as written (after rendering). */
export interface LineEdit {
  regexp?: string;
  line?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
}

/** The edited text, and what changed ("line replaced", "line added", "2 lines removed", or none). */
export interface Edited {
  text: string;
  changed: boolean;
  message: string;
}

// Python's inline flags at the start of a pattern, those JavaScript has as flags.
const LEADING_FLAGS = /^\(\?([ims]+)\)/;
// Escapes of letters that JavaScript knows; any other escaped letter (\A, \Z in Python) would be
// read by JavaScript as the letter itself.
const JS_LETTER_ESCAPES = new Set('dDwWsSbBnrtfvcxuk');

/** Compiles a pattern, or says why it cannot be used; with no `u` flag, as Python reads most escapes. */
export function compileRegexp(source: string): RegExp | string {
  const flags = LEADING_FLAGS.exec(source);
  const body = flags ? source.slice(flags[0].length) : source;
  const letter = strayLetterEscape(body);
  if (letter) {
    const instead = letter === 'A' ? ' (write ^)' : letter === 'Z' || letter === 'z' ? ' (write $)' : '';
    return `\\${letter} is no JavaScript escape: JavaScript would read it as the letter ${letter}${instead}`;
  }
  try {
    return new RegExp(body, flags?.[1] ?? '');
  } catch (e) {
    return `${(e as Error).message.replace(/^Invalid regular expression: /, '')}${pythonHint(body)}`;
  }
}

/** The problem with a pattern, for renderedChecks and task failures; undefined when it compiles. */
export function regexpProblem(source: string): string | undefined {
  const r = compileRegexp(source);
  return typeof r === 'string' ? `${JSON.stringify(source)} is not a regular expression kplay can use: ${r} (kplay reads JavaScript's syntax)` : undefined;
}

/** A position argument's problem: EOF/BOF are words, anything else a pattern. */
export function positionProblem(word: 'EOF' | 'BOF'): (source: string) => string | undefined {
  return (source) => (source === word ? undefined : regexpProblem(source));
}

function strayLetterEscape(body: string): string | undefined {
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') continue;
    const c = body[++i] ?? '';
    if (/[A-Za-z]/.test(c) && !JS_LETTER_ESCAPES.has(c)) return c;
  }
  return undefined;
}

function pythonHint(body: string): string {
  if (/\(\?P<\w+>/.test(body)) return '; Python\'s (?P<name>...) is written (?<name>...) in JavaScript';
  if (/\(\?P=\w+\)/.test(body)) return '; Python\'s (?P=name) is written \\k<name> in JavaScript';
  if (/\(\?[aiLmsux-]+[):]/.test(body)) return '; JavaScript has inline flags only as (?i), (?m) or (?s) at the very start';
  if (/\(\?>|[*+?}]\+/.test(body)) return '; JavaScript has no atomic groups or possessive quantifiers';
  if (/\(\?\(/.test(body)) return '; JavaScript has no conditional groups (?(1)...)';
  return '';
}

/** Compiles a pattern that was checked before (at plan time, or just now); a failure here is the user's. */
function mustCompile(source: string, field: string): RegExp {
  const r = compileRegexp(source);
  if (typeof r === 'string') throw new LineEditError(`${field}: ${JSON.stringify(source)} is not a regular expression kplay can use: ${r}`);
  return r;
}

/** A lineinfile argument that cannot be used (a pattern known only at run time). */
export class LineEditError extends Error {}

/** A file's lines, each with its line ending, so that untouched lines are written back as they were. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

function bare(line: string): string {
  return line.replace(/\r?\n$/, '');
}

/** Edits a file's text as Ansible's lineinfile would (a file to create is edited from ''). */
export function editLines(text: string, a: LineEdit): Edited {
  const lines = splitLines(text);
  if ((a.state ?? 'present') === 'absent') return removeLines(lines, a);
  return presentLine(lines, a);
}

function removeLines(lines: string[], a: LineEdit): Edited {
  const re = a.regexp !== undefined ? mustCompile(a.regexp, 'regexp') : undefined;
  const kept = lines.filter((l) => (re ? !re.test(bare(l)) : bare(l) !== a.line));
  const gone = lines.length - kept.length;
  return { text: kept.join(''), changed: gone > 0, message: gone === 0 ? 'no line matched' : gone === 1 ? '1 line removed' : `${gone} lines removed` };
}

/**
 * Where the line goes, found as Ansible finds it: the last line the regexp matches (it is
 * replaced); else an identical line (nothing to do); else after (or before) the last line that
 * insertafter (insertbefore) matches; else at the end.
 */
function presentLine(lines: string[], a: LineEdit): Edited {
  const line = a.line ?? '';
  const re = a.regexp !== undefined ? mustCompile(a.regexp, 'regexp') : undefined;
  const match = re ? lastMatch(lines, re) : undefined;
  if (match) {
    const wanted = (a.backrefs ? expand(line, match.m) : line) + ending(lines[match.at]!);
    if (lines[match.at] === wanted) return unchanged(lines);
    lines[match.at] = wanted;
    return { text: lines.join(''), changed: true, message: 'line replaced' };
  }
  // backrefs without a match: Ansible leaves the file alone (the line cannot be made).
  if (a.backrefs) return unchanged(lines);
  if (lines.some((l) => bare(l) === line)) return unchanged(lines);
  return insertLine(lines, line, insertionIndex(lines, a));
}

function insertionIndex(lines: string[], a: LineEdit): number {
  if (a.insertbefore === 'BOF' || a.insertafter === 'BOF') return 0;
  const after = a.insertafter !== undefined && a.insertafter !== 'EOF';
  const source = after ? a.insertafter! : a.insertbefore;
  if (source === undefined) return lines.length;
  const found = lastMatch(lines, mustCompile(source, after ? 'insertafter' : 'insertbefore'));
  if (!found) return lines.length;
  return after ? found.at + 1 : found.at;
}

function insertLine(lines: string[], line: string, at: number): Edited {
  // A last line without its newline gets one, so that the added line is a line of its own.
  const last = lines.length - 1;
  if (last >= 0 && !lines[last]!.endsWith('\n')) lines[last] += '\n';
  lines.splice(at, 0, `${line}\n`);
  return { text: lines.join(''), changed: true, message: 'line added' };
}

function unchanged(lines: string[]): Edited {
  return { text: lines.join(''), changed: false, message: 'line already as wanted' };
}

function lastMatch(lines: string[], re: RegExp): { at: number; m: RegExpExecArray } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = re.exec(bare(lines[i]!));
    if (m) return { at: i, m };
  }
  return undefined;
}

function ending(l: string): string {
  return l.endsWith('\r\n') ? '\r\n' : '\n';
}

/**
 * Python's Match.expand, which Ansible's backrefs use: \1 to \99, \g<1> and \g<name>; a group that
 * did not take part gives nothing.
 */
export function expand(line: string, m: RegExpExecArray): string {
  return line.replace(/\\(?:g<(\w+)>|(\d{1,2}))/g, (whole, g: string | undefined, n: string | undefined) => {
    const key = g ?? n!;
    const value = /^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key];
    if (value === undefined && !(/^\d+$/.test(key) ? Number(key) < m.length : m.groups && key in m.groups)) {
      throw new LineEditError(`line: ${whole} names no group of regexp`);
    }
    return value ?? '';
  });
}
