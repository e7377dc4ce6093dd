// Ansible's INI inventory, read as Ansible's ini plugin reads it: `[group]` sections of host lines
// (`name[:port] key=value ...`, split as a shell would, # starting a comment), `[group:vars]` of
// `key=value` lines (the value is the rest of the line), `[group:children]` of group names, and host
// lines before any section in no group. Values are read as Python literals where they are one (2222,
// True, 'quoted', [1, 2]), else as text. Every mistake is reported at its line and column.
import type { Diagnostic, SourcePos } from '../errors.js';
import { ALL, AnsibleTree, checkName, setVar, UNGROUPED } from './ansible-tree.js';
import type { AnsibleGroup, PlacedVars } from './ansible-tree.js';
import { expandHostRange, HostRangeError, splitHostPort } from './host-range.js';

/** Ansible's own section pattern: a name without ':', ']' or spaces, then an optional :TYPE. */
const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;
const GROUP_LINE = /^([^:\]\s]+)\s*(?:[#;].*)?$/;

/** Whether a text reads as an INI inventory: its first line that says something is a [section]. */
export function looksLikeIni(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    return SECTION.test(line);
  }
  return false;
}

type State = 'hosts' | 'vars' | 'children';

/** A word of a host line, and the column it starts at (1-based). */
interface Word {
  text: string;
  col: number;
}

/** Reads an INI inventory's text into a tree; problems go into `problems`. */
export function parseIniInventory(text: string, file: string, problems: Diagnostic[]): AnsibleTree {
  const reader = new IniReader(new AnsibleTree(file), problems);
  text.split('\n').forEach((raw, i) => reader.line(raw.replace(/\r$/, ''), i + 1));
  reader.finish();
  return reader.tree;
}

/** The reading of one file: the section it is in, and the vars sections of groups not (yet) defined. */
class IniReader {
  private state: State = 'hosts';
  private group: AnsibleGroup;
  /** Groups defined by a [name] or [name:children] section (or a host line's group). */
  private readonly defined = new Set([ALL, UNGROUPED]);
  /** [name:vars] sections of groups not defined (yet), by name: where the first one is. */
  private readonly varsOnly = new Map<string, SourcePos>();

  constructor(
    readonly tree: AnsibleTree,
    private readonly problems: Diagnostic[],
  ) {
    this.group = tree.groups.get(UNGROUPED)!;
  }

  line(raw: string, n: number): void {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const col = raw.indexOf(line) + 1;
    const at = (c: number): SourcePos => ({ file: this.tree.file, line: n, col: c });
    if (line.startsWith('[')) return this.section(line, at(col));
    if (this.state === 'vars') return this.varLine(line, col, at);
    if (this.state === 'children') return this.childLine(line, at(col));
    this.hostLine(line, col, at);
  }

  private section(line: string, pos: SourcePos): void {
    const m = SECTION.exec(line);
    if (!m) {
      this.error(`"${line}" is not a section header`, 'A section is [NAME], [NAME:vars] or [NAME:children], with no spaces inside the brackets.', pos);
      return;
    }
    const [, name = '', type = 'hosts'] = m;
    if (type !== 'hosts' && type !== 'vars' && type !== 'children') {
      this.error(`section [${name}:${type}] has an unknown type "${type}"`, 'The types are :vars and :children; [NAME] alone lists hosts.', pos);
      this.state = 'vars';
      this.group = { name, pos, hosts: [], children: [], vars: [] };
      return;
    }
    this.state = type;
    const named = checkName('group', name, { ...pos, col: pos.col + 1 }, this.problems);
    if (type !== 'vars') {
      this.defined.add(name);
      this.varsOnly.delete(name);
    } else if (!this.defined.has(name) && !this.varsOnly.has(name)) this.varsOnly.set(name, pos);
    // A badly named group is reported once; its lines are still read, into a group of its own.
    this.group = named ? this.tree.group(name, pos) : { name, pos, hosts: [], children: [], vars: [] };
  }

  private hostLine(line: string, col: number, at: (c: number) => SourcePos): void {
    const words = splitWords(line, col);
    if (words === undefined) return this.error('a quote on this line is never closed', 'Close the quote; a value with spaces is written key="a b".', at(col));
    const [first, ...settings] = words;
    if (!first) return;
    const target = splitHostPort(first.text);
    let names: string[];
    try {
      names = expandHostRange(target.name);
    } catch (e) {
      if (!(e instanceof HostRangeError)) throw e;
      return this.error(`bad host range: ${e.message}`, 'A range is [START:END] or [START:END:STEP]: node[01:20], web[a:f], n[0:10:2].', at(first.col + e.offset));
    }
    const layer: PlacedVars = { vars: {}, keyPos: {} };
    if (target.port !== undefined) setVar(layer, 'ansible_port', target.port, at(first.col + target.name.length + 1));
    for (const w of settings) {
      const eq = w.text.indexOf('=');
      if (eq <= 0) {
        this.error(`"${w.text}" is not a key=value setting of the host`, 'Host lines are: NAME key=value key=value ...; quote a value with spaces: key="a b".', at(w.col));
        continue;
      }
      setVar(layer, w.text.slice(0, eq), pythonLiteral(w.text.slice(eq + 1)), at(w.col));
    }
    for (const name of names) {
      if (!checkName('host', name, at(first.col), this.problems)) continue;
      const host = this.tree.host(name, at(first.col));
      // One layer for every host of a range: its settings are checked (and warned about) once.
      if (Object.keys(layer.vars).length) host.vars.push(layer);
      this.tree.member(this.group, name);
    }
  }

  private varLine(line: string, col: number, at: (c: number) => SourcePos): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return this.error(`"${line}" is not a key=value line`, `Lines of a [${this.group.name}:vars] section are key=value.`, at(col));
    const key = line.slice(0, eq).trim();
    // One layer per group for the whole file: a later section of the same group adds to it.
    let layer = this.group.vars[0];
    if (!layer) this.group.vars.push((layer = { vars: {}, keyPos: {} }));
    setVar(layer, key, pythonLiteral(line.slice(eq + 1).trim()), at(col));
  }

  private childLine(line: string, pos: SourcePos): void {
    const m = GROUP_LINE.exec(line);
    if (!m) return this.error(`"${line}" is not a group name`, `Lines of a [${this.group.name}:children] section each name one group.`, pos);
    if (!this.group.children.some((c) => c.name === m[1])) this.group.children.push({ name: m[1]!, pos });
  }

  /** Vars of groups no section defines: Ansible refuses them too. */
  finish(): void {
    for (const [name, pos] of this.varsOnly) {
      this.error(`[${name}:vars] gives vars to a group that no [${name}] or [${name}:children] section defines`, 'Define the group, or correct the name of the section.', pos);
    }
  }

  private error(message: string, hint: string, pos: SourcePos): void {
    this.problems.push({ code: 'E_INVENTORY', severity: 'error', message, hint, pos });
  }
}

/**
 * Splits a host line as Python's shlex does for Ansible (posix, # comments): whitespace separates,
 * quotes group and are removed, a backslash escapes. undefined when a quote is left open.
 */
export function splitWords(line: string, col = 1): Word[] | undefined {
  const words: Word[] = [];
  let cur: Word | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur!.text += line[++i];
      else cur!.text += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (cur) words.push(cur);
      cur = undefined;
      continue;
    }
    if (c === '#') break;
    cur ??= { text: '', col: col + i };
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < line.length) cur.text += line[++i];
    else cur.text += c;
  }
  if (quote) return undefined;
  if (cur) words.push(cur);
  return words;
}

/**
 * An INI value as Ansible reads it (Python's literal_eval, else the text): numbers, True, False,
 * None, quoted strings, lists and dicts; anything else stays text ("true" and "yes" too).
 */
export function pythonLiteral(v: string): unknown {
  if (/^[+-]?\d+$/.test(v)) return Number(v);
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v);
  if (v === 'True' || v === 'False') return v === 'True';
  if (v === 'None') return null;
  const q = /^(['"])(.*)\1$/s.exec(v);
  if (q) return q[2]!.replace(/\\(.)/g, '$1');
  // Lists and dicts as Python writes them; a template ({{x}}) or anything else that is no literal stays text.
  if (/^[[{]/.test(v) && !v.includes('{{')) {
    const json = (v.includes('"') ? v : v.replace(/'/g, '"')).replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null');
    try {
      return JSON.parse(json) as unknown;
    } catch {
      // Not a literal: Ansible keeps the text as it is, and so do we.
    }
  }
  return v;
}
