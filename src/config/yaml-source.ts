import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode, Scalar } from 'yaml';
import type { Diagnostic, SourcePos } from '../errors.js';

/** Aliases allowed per document: enough for anchors reused by hand, far too few for a billion-laughs bomb. */
export const MAX_ALIAS_COUNT = 100;

/** A parsed YAML file that can still answer "where in the file is this value?". */
export interface YamlSource {
  /** Path as shown to the user (relative to the working folder when inside it). */
  readonly file: string;
  /** Absolute path, for resolving files named inside this one. */
  readonly absPath: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The document as plain data; undefined when the YAML itself is broken. */
  readonly value: unknown;
}

/** Path segments from the document root, as ajv's instancePath splits them. */
export type DataPath = ReadonlyArray<string | number>;

/** Shows paths relative to where the user stands, so error lines are short and clickable. */
export function displayPath(absPath: string): string {
  const rel = path.relative(process.cwd(), absPath);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absPath;
}

// Shared task files (playbooks/lib) are included by every debug playbook: `kplay validate` of the
// shipped files would parse each of them seven times. Sources are read-only once parsed, so a
// file whose text is unchanged is parsed once per process (its problems are reported each time).
const parsed = new Map<string, { text: string; src: YamlSource; problems: Diagnostic[] }>();

/** Reads and parses a YAML file; problems go into `problems`, the source is returned when the file could be read. */
export function loadYamlFile(file: string, problems: Diagnostic[], from?: SourcePos): YamlSource | undefined {
  const absPath = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    problems.push(fileProblem(absPath, err, from));
    return undefined;
  }
  const seen = parsed.get(absPath);
  if (seen && seen.text === text) {
    problems.push(...seen.problems.map((p) => ({ ...p })));
    return seen.src;
  }
  const own: Diagnostic[] = [];
  const src = parseYaml(text, absPath, own);
  parsed.set(absPath, { text, src, problems: own });
  problems.push(...own);
  return src;
}

/** Parses YAML text held in memory (tests, -e values); `absPath` names it in messages. */
export function parseYaml(text: string, absPath: string, problems: Diagnostic[]): YamlSource {
  const file = displayPath(absPath);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  const at = (offset: number): SourcePos => offsetPos(file, lineCounter, offset);
  const before = problems.length;

  const seen = new Set<number>();
  for (const err of doc.errors) {
    const d = explainYamlError(text, doc, err.code, err.message, err.pos);
    const pos = at(d.offset);
    // One mistake often trips several of the parser's checks on its line; the first says it best.
    const key = pos.line;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ code: 'E_YAML', severity: 'error', message: d.message, hint: d.hint, pos });
  }
  if (!doc.errors.length && doc.contents === null && problems.length === before) {
    problems.push({
      code: 'E_YAML',
      severity: 'error',
      message: 'the file is empty',
      hint: 'A playbook has name, hosts and tasks; an inventory has hosts:; a task file is a list of tasks.',
      pos: at(0),
    });
    return { file, absPath, text, doc, lineCounter, value: undefined };
  }
  const yamlDirective = doc.directives?.yaml;
  if (yamlDirective?.explicit && yamlDirective.version !== '1.2') {
    problems.push({
      code: 'E_YAML',
      severity: 'error',
      message: `kplay reads YAML 1.2 only; this file declares %YAML ${yamlDirective.version}`,
      hint: 'Remove the %YAML line. In YAML 1.2 yes/no/on/off are strings: write true or false, and quote octal modes like "0644".',
      pos: at(directiveOffset(text)),
    });
  }

  let value: unknown;
  if (problems.length === before) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      problems.push({
        code: 'E_YAML',
        severity: 'error',
        message: `too many alias expansions (over ${MAX_ALIAS_COUNT}); this looks like an alias bomb`,
        hint: 'Write the repeated values out, or use fewer *aliases that point at large &anchors.',
        pos: at(firstAliasOffset(doc)),
      });
      value = undefined;
    }
  }
  return { file, absPath, text, doc, lineCounter, value };
}

/** A file that cannot be read, reported where it is named (`from`) when it is named in a file. */
export function fileProblem(absPath: string, err: unknown, from?: SourcePos): Diagnostic {
  const code = (err as NodeJS.ErrnoException).code;
  const shown = displayPath(absPath);
  const message =
    code === 'ENOENT'
      ? `file not found: ${shown}`
      : code === 'EISDIR'
        ? `${shown} is a folder, not a file`
        : `cannot read ${shown}: ${(err as Error).message}`;
  return {
    code: 'E_FILE',
    severity: 'error',
    message,
    hint: from ? 'Paths are relative to the file that names them; check the spelling.' : 'Check the path, relative to the current folder.',
    // A file that cannot be read has no position worth showing; the one that names it has.
    pos: from,
  };
}

const YAML_HINTS: Record<string, string> = {
  DUPLICATE_KEY: 'Each key may appear once per mapping; remove or merge the repeated key.',
  MULTIPLE_DOCS: 'Put one document per file; remove the extra "---" line and what follows, or move it to a file of its own.',
  BAD_INDENT: 'Check the indentation: keys of one mapping start in the same column; nested entries are indented more than their parent, with spaces.',
  TAB_AS_INDENT: 'YAML indentation must use spaces, not tabs.',
  BLOCK_AS_IMPLICIT_KEY: 'A value that contains ": " must be quoted.',
  MULTILINE_IMPLICIT_KEY: 'A key must fit on one line; a value with ": " in it must be quoted.',
  UNEXPECTED_TOKEN: 'Quote values that start with {, [, *, &, !, %, @ or `.',
  BAD_ALIAS: 'An *alias must name an &anchor defined earlier in the file.',
};

const INDENT_HINT = 'Keys of one mapping must start in the same column; indent with spaces only.';

interface YamlExplanation {
  offset: number;
  message: string;
  hint: string;
}

/**
 * The yaml library reports where parsing failed, which is often a line or more after the mistake
 * (an unclosed quote fails at the end of the file). Where the cause can be found, point at it.
 */
function explainYamlError(text: string, doc: Document.Parsed, code: string, message: string, pos: [number, number]): YamlExplanation {
  const first = (message.split(/ at line \d+, column \d+|\n/)[0] ?? message).trim();
  const lineStart = text.lastIndexOf('\n', pos[0] - 1) + 1;
  const indentEnd = lineStart + leadingSpaces(text, lineStart);
  // Errors at the start of an indented line are about the line's first word, not its first space.
  const offset = pos[0] === lineStart && indentEnd > lineStart ? indentEnd : pos[0];

  // "dest: {{x}}/f" or "{dest: /a/{{x}}}": YAML reads the braces as a mapping.
  const lineText = text.slice(lineStart, (text.indexOf('\n', lineStart) + 1 || text.length + 1) - 1);
  if (lineText.includes('{{') && code !== 'DUPLICATE_KEY') {
    const at = lineStart + lineText.indexOf('{{');
    const valueStart = lineText.slice(0, lineText.indexOf('{{')).search(/[^\s,{[]+$/);
    return {
      offset: valueStart >= 0 ? lineStart + valueStart : at,
      message: 'a value with a {{template}} must be quoted: YAML reads { as the start of a mapping',
      hint: 'Put the whole value in double quotes: dest: "/tmp/{{host.name}}.txt".',
    };
  }
  if (code === 'DUPLICATE_KEY') {
    const key = /^["']?([^"':\n]+)/.exec(text.slice(pos[0]))?.[1]?.trim();
    return { offset, message: `duplicate key${key ? ` "${key}"` : ''} in this mapping`, hint: YAML_HINTS.DUPLICATE_KEY! };
  }
  if (code === 'MULTIPLE_DOCS') {
    return { offset, message: 'more than one YAML document in this file (a "---" line starts another)', hint: YAML_HINTS.MULTIPLE_DOCS! };
  }
  if (/^Missing closing ["']?quote/i.test(first)) {
    const open = unclosedQuote(doc, pos[0]);
    return { offset: open ?? offset, message: 'this quote is never closed', hint: 'Close the quoted string on the same line, or use a block scalar (|) for text over several lines.' };
  }
  if (/^Flow (sequence|mapping)/.test(first)) {
    const bracket = first.startsWith('Flow sequence') ? '[' : '{';
    const open = unclosedBracket(text, pos[0], bracket);
    const close = bracket === '[' ? ']' : '}';
    return {
      offset: open ?? offset,
      message: `this ${bracket} is never closed with ${close}`,
      hint: `Close it with ${close} on the same line, or write the ${bracket === '[' ? 'list as "- item" lines' : 'mapping as "key: value" lines'} below the key.`,
    };
  }
  if (first === 'Sequence item without - indicator' || first === 'All mapping items must start at the same column') {
    return { offset, message: 'this line is indented differently from the keys around it', hint: INDENT_HINT };
  }
  if (code === 'BLOCK_AS_IMPLICIT_KEY' || code === 'MULTILINE_IMPLICIT_KEY') {
    // "name: one\n      command: x": the deeper line was read as a continuation of the one above.
    const endLineStart = text.lastIndexOf('\n', pos[1] - 1) + 1;
    if (endLineStart > lineStart && /^\s*[\w.-]+:(\s|$)/.test(text.slice(endLineStart, text.indexOf('\n', endLineStart) >>> 0))) {
      return {
        offset: endLineStart + leadingSpaces(text, endLineStart),
        message: 'this key is indented more than the key above it',
        hint: INDENT_HINT,
      };
    }
  }
  return {
    offset,
    message: `YAML: ${first.charAt(0).toLowerCase()}${first.slice(1)}`,
    hint: YAML_HINTS[code] ?? 'Fix the YAML syntax at this position; an editor with YAML support shows the problem as you type.',
  };
}

/** The opening quote of the quoted scalar that runs to `failedAt`. */
function unclosedQuote(doc: Document.Parsed, failedAt: number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar(_k, node) {
      const t = (node as Scalar).type;
      if ((t === 'QUOTE_DOUBLE' || t === 'QUOTE_SINGLE') && node.range && node.range[1] >= failedAt - 1) found = node.range[0];
    },
  });
  return found;
}

/** The last bracket before `failedAt` that no closing bracket matches (quotes are skipped). */
function unclosedBracket(text: string, failedAt: number, open: '[' | '{'): number | undefined {
  const close = open === '[' ? ']' : '}';
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < failedAt && i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = text.indexOf('\n', i) >>> 0 || text.length;
    else if (c === open) stack.push(i);
    else if (c === close) stack.pop();
  }
  return stack.at(-1);
}

function directiveOffset(text: string): number {
  const m = /^%YAML/m.exec(text);
  return m ? m.index : 0;
}

function firstAliasOffset(doc: Document.Parsed): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function offsetPos(file: string, lineCounter: LineCounter, offset: number): SourcePos {
  const { line, col } = lineCounter.linePos(offset);
  return { file, line, col };
}

/** The position of a byte offset in this source. */
export function posAtOffset(src: YamlSource, offset: number): SourcePos {
  return offsetPos(src.file, src.lineCounter, offset);
}

// The yaml library's Alias.resolve() walks the document up to the alias, at every call; positions
// of tasks reached through an alias were asked for thousands of times. One walk per document
// records what each alias resolves to: the last node before it with its anchor, as resolve() has it.
const aliasTargets = new WeakMap<Document.Parsed, Map<unknown, unknown>>();

function resolveAlias(doc: Document.Parsed, alias: unknown): unknown {
  let targets = aliasTargets.get(doc);
  if (!targets) {
    const found = new Map<unknown, unknown>();
    const anchors = new Map<string, unknown>();
    visit(doc, {
      Node(_key, node) {
        if (isAlias(node)) found.set(node, anchors.get(node.source));
        else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
    targets = found;
    aliasTargets.set(doc, targets);
  }
  return targets.get(alias);
}

/** The node at a data path, following aliases; undefined when the path does not exist in the document. */
export function nodeAt(src: YamlSource, dataPath: DataPath): YamlNode | undefined {
  let node: unknown = src.doc.contents;
  for (const seg of dataPath) {
    if (isAlias(node)) node = resolveAlias(src.doc, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      node = pair?.value ?? undefined;
    } else if (isSeq(node)) {
      node = node.items[Number(seg)];
    } else {
      return undefined;
    }
    if (node === undefined || node === null) return undefined;
  }
  return isNode(node) ? node : undefined;
}

/** Where a key is written inside the mapping at `dataPath` (for "unknown key" messages). */
export function keyPos(src: YamlSource, dataPath: DataPath, key: string): SourcePos | undefined {
  const map = nodeAt(src, dataPath);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  const offset = isNode(pair?.key) ? pair.key.range?.[0] : undefined;
  return offset === undefined ? undefined : posAtOffset(src, offset);
}

/**
 * The position of the value at `dataPath`; when that value does not exist, the nearest existing parent,
 * so a "missing key" error points at the mapping that lacks it.
 */
export function posAt(src: YamlSource, dataPath: DataPath): SourcePos {
  for (let len = dataPath.length; len >= 0; len--) {
    const node = len === 0 ? src.doc.contents : nodeAt(src, dataPath.slice(0, len));
    const offset = node?.range?.[0];
    if (offset !== undefined) return posAtOffset(src, offset);
  }
  return { file: src.file, line: 1, col: 1 };
}

/**
 * Maps a 1-based line/col inside a scalar's string value (a template) to the file position.
 * Exact for plain, single-line quoted and block scalars without escapes; otherwise the scalar's start.
 */
export function posInScalar(src: YamlSource, dataPath: DataPath, line: number, col: number): SourcePos {
  const node = nodeAt(src, dataPath);
  if (!isScalar(node) || !node.range) return posAt(src, dataPath);
  const start = posAtOffset(src, node.range[0]);
  const type = (node as Scalar).type;
  if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') {
    const headerEnd = src.text.indexOf('\n', node.range[0]);
    const firstContentOffset = headerEnd + 1 + leadingSpaces(src.text, headerEnd + 1);
    const first = posAtOffset(src, firstContentOffset);
    // Folded scalars join lines, so only literal ones keep template lines = file lines.
    if (type === 'BLOCK_FOLDED' && line > 1) return first;
    return { file: src.file, line: first.line + line - 1, col: first.col + col - 1 };
  }
  const raw = src.text.slice(node.range[0], node.range[1]);
  if (raw.includes('\n') || line > 1) return start;
  const quoteWidth = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? 1 : 0;
  if (type === 'QUOTE_DOUBLE' && raw.includes('\\')) return start;
  if (type === 'QUOTE_SINGLE' && raw.includes("''")) return start;
  return { file: src.file, line: start.line, col: start.col + quoteWidth + col - 1 };
}

function leadingSpaces(text: string, from: number): number {
  let n = 0;
  while (text[from + n] === ' ') n++;
  return n;
}
