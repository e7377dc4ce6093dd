import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../errors.js';
import { uniqueDiagnostics } from '../errors.js';
import { KIND_NAMES } from '../tasks/registry.js';
import { suggest } from '../text/suggest.js';
import { ansiblePlayHint, ansibleTaskHint, playListProblem } from './ansible-hints.js';
import * as generated from './schema-validators.generated.js';
import { keyPos, posAt } from './yaml-source.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** The schemas kplay ships, by the kind of file they describe. */
export type SchemaName = 'playbook' | 'tasks' | 'inventory' | 'vars';

type Json = Record<string, unknown>;

/** Where the schemas live, in the source tree and in the built package alike (both two levels below the root). */
export const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

// A shared task file is checked once per playbook that includes it, and again on its own: a source
// that passed a schema passes it again (parsed sources are never changed), so the check runs once.
const passed = new WeakMap<YamlSource, Set<SchemaName>>();

/** Checks a parsed YAML source against a schema; every problem comes back, positioned in the file. */
export function checkSchema(src: YamlSource, schema: SchemaName, problems: Diagnostic[]): boolean {
  if (passed.get(src)?.has(schema)) return true;
  const validate = generated[schema];
  if (validate(src.value)) {
    const schemas = passed.get(src) ?? new Set<SchemaName>();
    passed.set(src, schemas.add(schema));
    return true;
  }
  const plays = schema === 'playbook' || schema === 'tasks' ? playListProblem(src, KIND_NAMES) : undefined;
  if (plays) {
    problems.push(plays);
    return false;
  }
  // Local $refs in error schemas point into the schema that holds them: the task definitions live in
  // the playbook schema, which the task-file schema refers to.
  const root = rawSchema(schema === 'tasks' ? 'playbook.schema.json' : `${schema}.schema.json`);
  problems.push(...uniqueDiagnostics(explain(src, (validate.errors ?? []) as AjvError[], root)));
  return false;
}

// Raw schemas are read only to explain errors (following $refs), never on the happy path.
const rawSchemas = new Map<string, Json>();
function rawSchema(file: string): Json {
  let s = rawSchemas.get(file);
  if (!s) {
    s = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as Json;
    rawSchemas.set(file, s);
  }
  return s;
}

// --- turning ajv's errors into messages a person can act on ---

type AjvError = ErrorObject<string, Record<string, unknown>, unknown> & {
  parentSchema?: Json;
  schema?: unknown;
  data?: unknown;
};

const COMPOSITE = new Set(['anyOf', 'oneOf']);
/** Keywords about a value itself, where a schema's errorMessage replaces ajv's wording. */
const VALUE_KEYWORDS = new Set(['type', 'pattern', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'format', 'anyOf', 'oneOf']);

function splitPath(instancePath: string): DataPath {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeFits(expected: unknown, actual: string): boolean {
  const list = Array.isArray(expected) ? expected : [expected];
  return list.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/** The type a branch of anyOf/oneOf accepts, following a local $ref. */
function branchType(branch: unknown, root: Json): unknown {
  let b = branch as Json | undefined;
  for (let i = 0; i < 5 && b && typeof b.$ref === 'string'; i++) b = resolveRef(b.$ref, root);
  return b?.type;
}

function resolveRef(ref: string, root: Json): Json | undefined {
  const hash = ref.indexOf('#');
  if (hash < 0) return undefined;
  const file = ref.slice(0, hash);
  let node: unknown = file ? rawSchema(file) : root;
  for (const seg of ref.slice(hash + 2).split('/').filter(Boolean)) node = (node as Json | undefined)?.[seg];
  return node as Json | undefined;
}

interface Composite {
  err: AjvError;
  /** Index of the branch whose errors explain the failure, or -1 when no single branch fits. */
  chosen: number;
}

function isBelow(err: AjvError, c: AjvError): boolean {
  return err !== c && err.schemaPath.startsWith(`${c.schemaPath}/`) && err.instancePath.startsWith(c.instancePath);
}

function branchIndex(err: AjvError, c: AjvError): number {
  return Number(err.schemaPath.slice(c.schemaPath.length + 1).split('/')[0]);
}

function explain(src: YamlSource, errors: AjvError[], root: Json): Diagnostic[] {
  const composites: Composite[] = errors
    .filter((e) => COMPOSITE.has(e.keyword))
    .map((err) => {
      const branches = Array.isArray(err.schema) ? err.schema : [];
      const actual = jsonType(err.data);
      const fitting = branches.map((b, i) => (typeFits(branchType(b, root), actual) ? i : -1)).filter((i) => i >= 0);
      return { err, chosen: fitting.length === 1 ? fitting[0]! : -1 };
    });

  // An error survives only when every composite above it explains itself through that error's branch.
  const survives = (e: AjvError): boolean =>
    composites.every(({ err: c, chosen }) => {
      if (!isBelow(e, c)) return true;
      if (c.parentSchema?.errorMessage !== undefined) return false;
      return chosen >= 0 && branchIndex(e, c) === chosen;
    });

  // "unknown key comand" already says what is wrong; "no kind" on the same task would only repeat it.
  // An unknown key on a task is most likely its kind, misspelt or from Ansible ("comand", "shell"):
  // "unknown key" says what is wrong, so "no kind" on the same task would only repeat it.
  const unknownKeyAt = new Set(errors.filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath));
  // "unknown key taks" with "did you mean tasks" covers "missing required key tasks" too.
  const misspeltRequired = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => `${e.instancePath}/${suggest(String(e.params.additionalProperty), Object.keys((e.parentSchema?.properties as Json | undefined) ?? {}))}`),
  );
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (!survives(e)) continue;
    // The errors inside propertyNames say what is wrong with the name; the wrapper only that something is.
    if (e.keyword === 'propertyNames') continue;
    if (e.keyword === 'oneOf' && isKindChoice(e) && (unknownKeyAt.has(e.instancePath) || !isObject(e.data))) continue;
    if (e.keyword === 'required' && misspeltRequired.has(`${e.instancePath}/${String(e.params.missingProperty)}`)) continue;
    if (COMPOSITE.has(e.keyword)) {
      const c = composites.find((x) => x.err === e)!;
      if (c.chosen >= 0 && c.err.parentSchema?.errorMessage === undefined) continue; // its branch speaks for it
    }
    out.push(describe(src, e, root));
  }
  return out;
}

/** The Ansible hint for an unknown key on a task or a play; other mappings (inventories, kinds' arguments) get none. */
function ansibleKeyHint(key: string, schemaProps: string[], isTask: boolean): string | undefined {
  const known = (k: string): boolean => schemaProps.includes(k);
  const isPlay = known('hosts') && known('tasks');
  const hint = isTask ? ansibleTaskHint(key, known) : isPlay ? ansiblePlayHint(key, known) : undefined;
  return hint === undefined ? undefined : `${hint.charAt(0).toUpperCase()}${hint.slice(1)}.`;
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const KIND_ORDER: readonly string[] = KIND_NAMES;

function where(src: YamlSource, dataPath: DataPath): string {
  // Name the task the problem is in: "task "Stop the static pod"" reads better than tasks/3.
  const value = src.value as Json | unknown[] | undefined;
  let node: unknown = value;
  let label = '';
  let rest: (string | number)[] = [];
  for (let i = 0; i < dataPath.length; i++) {
    const seg = dataPath[i]!;
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
    const parentIsTaskList = i === 0 ? Array.isArray(value) : dataPath[i - 1] === 'tasks' || dataPath[i - 1] === 'rollback';
    if (typeof seg === 'number' && parentIsTaskList && node && typeof node === 'object' && !Array.isArray(node)) {
      const name = (node as Json).name;
      label = typeof name === 'string' ? `task "${name}"` : `task #${seg + 1}`;
      rest = [];
    } else if (seg === 'rollback' && label) {
      label = `${label} rollback`;
      rest = [];
    } else {
      rest.push(seg);
    }
  }
  const restText = rest.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  if (label && restText) return `${label}: ${restText}`;
  return label || restText;
}

function prefix(src: YamlSource, dataPath: DataPath, message = ''): string {
  const w = where(src, dataPath);
  // "become: become must be..." and 'task "x": copy: copy takes...' say the key twice.
  const last = String(dataPath[dataPath.length - 1]);
  if (message.startsWith(`${last} `)) {
    if (w === last) return '';
    if (w.endsWith(`: ${last}`)) return `${w.slice(0, -last.length - 2)}: `;
  }
  return w ? `${w}: ` : '';
}

/**
 * One ajv error as a diagnostic. Longer than most functions here on purpose: it is a table, one
 * case per schema keyword, and reads best as one, with every message of a schema error in one place.
 */
function describe(src: YamlSource, e: AjvError, root: Json): Diagnostic {
  const dataPath = splitPath(e.instancePath);
  const pos = posAt(src, dataPath);
  const base = { code: 'E_SCHEMA' as const, severity: 'error' as const, pos };
  // A schema's errorMessage speaks for its value as a whole; on a mapping (a task), a wrong type is
  // a different mistake from the ones that message describes.
  const applies = VALUE_KEYWORDS.has(e.keyword) && !(e.keyword === 'type' && e.parentSchema?.properties);
  const custom = applies ? (e.parentSchema?.errorMessage as string | undefined) : undefined;
  const propertyName = (e as { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    return {
      ...base,
      pos: keyPos(src, dataPath, propertyName) ?? pos,
      message: `${prefix(src, dataPath)}"${propertyName}": ${custom ?? e.message ?? 'invalid name'}`,
      hint: describedHint(e.parentSchema) ?? 'Rename it.',
    };
  }
  const schemaProps = Object.keys((e.parentSchema?.properties as Json | undefined) ?? {});

  if (e.keyword === 'oneOf' && isKindChoice(e)) return kindProblem(src, dataPath, e);

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const close = suggest(key, schemaProps);
      const isTask = schemaProps.includes('name') && schemaProps.includes('command');
      const taskHint = `A task has a name, one kind (${KIND_ORDER.join(', ')}) and optional keys such as when, register, rollback, timeout.`;
      // An Ansible key is not a typo of a kplay key ("tasks" is not "tags"): its own hint comes first.
      const ansible = ansibleKeyHint(key, schemaProps, isTask);
      return {
        ...base,
        code: 'E_SCHEMA',
        pos: keyPos(src, dataPath, key) ?? pos,
        message: `${prefix(src, dataPath)}unknown key "${key}"${ansible ? ' (an Ansible key)' : ''}`,
        hint: ansible ?? (close ? `Did you mean "${close}"?` : isTask ? taskHint : `Allowed keys here: ${schemaProps.join(', ')}.`),
      };
    }
    case 'required': {
      const key = String(e.params.missingProperty);
      return {
        ...base,
        message: `${prefix(src, dataPath)}missing required key "${key}"`,
        hint: `Add "${key}:"${descriptionOf(e.parentSchema, key)}.`,
      };
    }
    case 'type': {
      const expected = String(e.params.type).split(',').join(' or ');
      const found = jsonType(e.data);
      const yes = typeof e.data === 'string' && /^(yes|no|on|off|y|n)$/i.test(e.data) && expected.includes('boolean');
      return {
        ...base,
        message: `${prefix(src, dataPath, custom)}${custom ?? `must be ${article(expected)}, not ${article(found)}`}`,
        hint: yes ? 'YAML 1.2 reads yes/no/on/off as strings: write true or false.' : typeHint(expected),
      };
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const close = typeof e.data === 'string' ? suggest(e.data, allowed) : undefined;
      return {
        ...base,
        message: `${prefix(src, dataPath)}${custom ?? `"${String(e.data)}" is not one of ${allowed.join(', ')}`}`,
        hint: close ? `Did you mean "${close}"?` : `Use one of: ${allowed.join(', ')}.`,
      };
    }
    case 'minItems':
    case 'minLength':
    case 'minProperties':
      return { ...base, message: `${prefix(src, dataPath)}must not be empty`, hint: 'Give it a value, or remove the key.' };
    case 'anyOf':
    case 'oneOf': {
      const types = (Array.isArray(e.schema) ? e.schema : []).map((b) => branchType(b, root));
      const list = [...new Set(types.flat().filter(Boolean).map(String))].join(' or ');
      return {
        ...base,
        message: `${prefix(src, dataPath, custom)}${custom ?? `must be ${list || 'a different value'}, not ${article(jsonType(e.data))}`}`,
        hint: describedHint(e.parentSchema),
      };
    }
    default:
      return {
        ...base,
        message: `${prefix(src, dataPath, custom)}${custom ?? e.message ?? 'invalid value'}`,
        hint: describedHint(e.parentSchema),
      };
  }
}

function isKindChoice(e: AjvError): boolean {
  const branches = Array.isArray(e.schema) ? (e.schema as Json[]) : [];
  return e.parentSchema?.properties !== undefined && branches.every((b) => Array.isArray(b.required)) && branches.some((b) => (b.required as string[])[0] === 'command');
}

function kindProblem(src: YamlSource, dataPath: DataPath, e: AjvError): Diagnostic {
  const allowed = (e.schema as Json[]).map((b) => (b.required as string[])[0]!);
  const data = e.data as Json;
  const present = KIND_ORDER.filter((k) => k in data && allowed.includes(k));
  const label = where(src, dataPath) || 'task';
  if (present.length === 0) {
    return {
      code: 'E_TASK',
      severity: 'error',
      pos: posAt(src, dataPath),
      message: `${label} has no kind: it says what to do with none of ${allowed.join(', ')}`,
      hint: 'Add one kind key, for example `command: ...`.',
    };
  }
  return {
    code: 'E_TASK',
    severity: 'error',
    pos: keyPos(src, dataPath, present[1]!) ?? posAt(src, dataPath),
    message: `${label} has ${present.length} kinds (${present.join(', ')}); a task does exactly one thing`,
    hint: 'Split it into one task per kind.',
  };
}

function article(t: string): string {
  if (t.includes(' or ')) return t;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function typeHint(expected: string): string {
  if (expected.includes('object')) return 'Write a mapping (key: value lines, indented under this key).';
  if (expected.includes('array')) return 'Write a list (lines starting with "- "), or [a, b].';
  if (expected === 'string') return 'Quote the value to make it a string.';
  return `Write ${article(expected)}.`;
}

function descriptionOf(schema: Json | undefined, key: string): string {
  const prop = (schema?.properties as Record<string, Json> | undefined)?.[key];
  const desc = prop?.description;
  return typeof desc === 'string' ? `: ${desc.charAt(0).toLowerCase()}${desc.slice(1).replace(/\.$/, '')}` : '';
}

function describedHint(schema: Json | undefined): string | undefined {
  const d = schema?.description;
  return typeof d === 'string' ? d : undefined;
}
