import path from 'node:path';
import type { Diagnostic, SourcePos } from '../errors.js';
import { formatPos } from '../errors.js';
import type { KindName } from '../tasks/kind.js';
import { COMMON_KEYS } from '../tasks/kind.js';
import { KIND_NAMES, taskKinds } from '../tasks/registry.js';
import type { RollbackTask, Task as WrittenTask, KplayPlaybook } from './playbook.generated.js';
import { durationMs } from './duration.js';
import { factNames, factProblems } from './facts.js';
import { secretDecls, secretShadows } from './secrets.js';
import type { Condition, Loaded, Origin, Playbook, TaskSpec, VarsFile } from './model.js';
import { TASK_DEFAULTS } from './model.js';
import { checkSchema } from './schema-check.js';
import { resolveRollbackAfter, writtenAfter } from './rollback-after.js';
import type { NamedTasks, RollbackAfterRef } from './rollback-after.js';
import { resolveFileRef } from './file-ref.js';
import { itemOutsideLoop, loopSpec } from './loop.js';
import { splitTaskFile, unkeptProvides } from './task-interface.js';
import type { IncludeContract, TaskFileContracts, TaskFileInterface } from './task-interface.js';
import { keyPos, loadYamlFile, posAt } from './yaml-source.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** Keys an include task takes besides its kind; the others have no clear meaning for a group of tasks. */
const INCLUDE_KEYS = new Set(['name', 'include', 'when', 'tags', 'vars', 'no_log']);

/** Ansible loops over include_tasks; kplay includes a file once, where it is written. */
const LOOP_ON_INCLUDE =
  'An include is not repeated: put loop: on the tasks inside the included file (each reads item), or write the include once per value, each with its own vars.';

/** Loads, schema-checks and normalizes a playbook with every task file it includes. */
export function loadPlaybook(file: string): Loaded<Playbook> {
  const problems: Diagnostic[] = [];
  const src = loadYamlFile(file, problems);
  if (!src) return { problems };
  return playbookFromSource(src, problems);
}

/** Checks and normalizes an already parsed playbook; problems are appended to `problems`. */
export function playbookFromSource(src: YamlSource, problems: Diagnostic[] = []): Loaded<Playbook> {
  if (src.value === undefined) return { problems };
  if (!checkSchema(src, 'playbook', problems)) return { problems };
  const written = src.value as KplayPlaybook;
  const varsFiles = loadVarsFiles(src, written.vars_files ?? [], problems);
  const loader = new TaskLoader(problems);
  const tasks = loader.tasks(src, ['tasks'], written.tasks, { includedFrom: [], stack: [src.absPath], given: NO_NAMES }, '');
  resolveRollbackAfter(loader.afterRefs, loader.named, problems, false);
  const playbook: Playbook = {
    name: written.name,
    description: written.description,
    file: src.file,
    absPath: src.absPath,
    hosts: typeof written.hosts === 'string' ? [written.hosts] : written.hosts,
    hostsOrigin: origin(src, ['hosts'], []),
    hostsPos:
      typeof written.hosts === 'string' ? [posAt(src, ['hosts'])] : written.hosts.map((_, i) => posAt(src, ['hosts', i])),
    maxHosts: written.max_hosts,
    serial: written.serial,
    anyErrorsFatal: written.any_errors_fatal,
    maxFailPercentage: written.max_fail_percentage,
    rollbackOnFailure: written.rollback_on_failure,
    become: written.become,
    becomeUser: written.become_user,
    vars: written.vars ?? {},
    varsFiles,
    varDescriptions: Object.assign({}, ...varsFiles.map((f) => f.descriptions), written.var_descriptions),
    secrets: secretDecls(src, [], written, problems),
    tasks,
    taskFiles: loader.contracts(),
    sources: [src, ...varsFiles.map((f) => f.src), ...loader.included],
  };
  warnUndefinedDescriptions(src, written.var_descriptions, (name) => name in playbook.vars || varsFiles.some((f) => name in f.vars), problems);
  problems.push(...secretShadows(playbook.secrets, tasks), ...factProblems(tasks, playbook.secrets));
  problems.push(...itemOutsideLoop(tasks, (name) => name in playbook.vars || varsFiles.some((f) => name in f.vars)));
  return { value: playbook, problems };
}

/** A description of a variable that has no default is a mistake worth a warning (a typo, usually). */
function warnUndefinedDescriptions(src: YamlSource, descriptions: Record<string, string> | undefined, defined: (name: string) => boolean, problems: Diagnostic[]): void {
  for (const name of Object.keys(descriptions ?? {})) {
    if (defined(name)) continue;
    problems.push({
      code: 'E_SCHEMA',
      severity: 'warning',
      message: `var_descriptions describes "${name}", which vars does not define`,
      hint: `Add a default for "${name}" under vars, or remove its description.`,
      pos: posAt(src, ['var_descriptions', name]),
    });
  }
}

/** Reads the playbook's vars_files, in order; a missing or malformed one is a problem at its entry. */
function loadVarsFiles(src: YamlSource, files: string[], problems: Diagnostic[]): VarsFile[] {
  const out: VarsFile[] = [];
  files.forEach((f, i) => {
    const from = posAt(src, ['vars_files', i]);
    const vsrc = loadYamlFile(resolveFileRef(src.absPath, f), problems, from);
    const loaded = vsrc && varsFileFromSource(vsrc, problems).value;
    if (loaded) out.push(loaded);
  });
  return out;
}

/** Checks a parsed vars file (shared variable defaults with their descriptions). */
export function varsFileFromSource(src: YamlSource, problems: Diagnostic[] = []): Loaded<VarsFile> {
  if (src.value === undefined) return { problems };
  if (!checkSchema(src, 'vars', problems)) return { problems };
  const written = src.value as { vars: Record<string, unknown>; var_descriptions?: Record<string, string> };
  warnUndefinedDescriptions(src, written.var_descriptions, (name) => name in written.vars, problems);
  return { value: { src, vars: written.vars, descriptions: written.var_descriptions ?? {} }, problems };
}

/** A task file checked on its own: its tasks, and the includes in it to check against what they need. */
export interface LoadedTaskFile {
  tasks: TaskSpec[];
  taskFiles: TaskFileContracts;
  /** What the file declares, when it is written in the mapping form. */
  iface?: TaskFileInterface;
}

/**
 * Checks a parsed task file on its own (for `kplay validate`): its own needs count as defined, so
 * what is checked is that they cover the needs of the files it includes, and that it registers
 * what it provides.
 */
export function taskFileFromSource(src: YamlSource, problems: Diagnostic[] = []): Loaded<LoadedTaskFile> {
  if (src.value === undefined) return { problems };
  if (!checkSchema(src, 'tasks', problems)) return { problems };
  const { tasks: written, listPath, iface } = splitTaskFile(src);
  const given = new Set([...(iface?.needsVars ?? []), ...(iface?.needsRegistered ?? [])]);
  const loader = new TaskLoader(problems);
  const tasks = loader.tasks(src, listPath, written as WrittenTask[], { includedFrom: [], stack: [src.absPath], given }, '');
  resolveRollbackAfter(loader.afterRefs, loader.named, problems, true);
  problems.push(...factProblems(tasks));
  if (iface) problems.push(...unkeptProvides(src, iface, registersOf(tasks)));
  problems.push(...itemOutsideLoop(tasks, (name) => given.has(name)));
  return { value: { tasks, taskFiles: loader.contracts(), iface }, problems };
}

const NO_NAMES: ReadonlySet<string> = new Set();

/** What a file's tasks leave for the tasks after them: registered results and set_fact names. */
function registersOf(tasks: TaskSpec[]): Set<string> {
  return new Set(tasks.flatMap((t) => [...(t.register ? [t.register] : []), ...factNames(t)]));
}

function origin(src: YamlSource, dataPath: DataPath, includedFrom: SourcePos[]): Origin {
  return { src, dataPath, pos: posAt(src, dataPath), includedFrom };
}

/** YAML 1.1's booleans, which YAML 1.2 (and so kplay) reads as strings: in a condition, names of variables. */
const YAML11_BOOLEANS = /^(yes|no|on|off|y|n)$/i;

/**
 * A written condition or list of conditions (all must hold), each with where it is written. An
 * Ansible habit (`changed_when: no`) would read an undefined variable "no": said here, plainly.
 */
function conditionsAt(src: YamlSource, dataPath: DataPath, written: string | boolean | (string | boolean)[] | undefined, includedFrom: SourcePos[], problems: Diagnostic[]): Condition[] {
  if (written === undefined) return [];
  const list = Array.isArray(written) ? written.map((expr, i) => ({ expr, at: [...dataPath, i] })) : [{ expr: written, at: dataPath }];
  for (const { expr, at } of list) {
    if (typeof expr !== 'string' || !YAML11_BOOLEANS.test(expr.trim())) continue;
    const key = String(dataPath[dataPath.length - 1]);
    const meant = /^(yes|on|y)$/i.test(expr.trim());
    problems.push({ code: 'E_SCHEMA', severity: 'error', message: `${key} must be a condition or true/false, not "${expr}"`, hint: `YAML 1.2 reads ${expr} as a string; write ${key}: ${meant}.`, pos: posAt(src, at) });
  }
  return list.map(({ expr, at }) => ({ expr, origin: origin(src, at, includedFrom) }));
}

function kindOf(t: WrittenTask | RollbackTask): KindName {
  // The schema has already guaranteed exactly one kind key.
  return KIND_NAMES.find((k) => k in t)!;
}

/** Where a list of tasks sits: the includes that led to it, the files being included (to catch cycles), and the names they define. */
interface Scope {
  includedFrom: SourcePos[];
  stack: string[];
  /** Variables the includes around define, and the needs of the files around (see IncludeContract.given). */
  given: ReadonlySet<string>;
}

class TaskLoader {
  /** Every task file read through an include, for the plan's list of inputs. */
  readonly included: YamlSource[] = [];
  /** Results registered by the tasks loaded so far, in run order: what an include's needs can count on. */
  private readonly registered = new Set<string>();
  /** Variables set_fact tasks loaded so far set: what an include's needs.vars can count on too. */
  private readonly facts = new Set<string>();
  private readonly includes: IncludeContract[] = [];
  private readonly providers: Record<string, string> = {};
  /** Every task and include by name, for rollback_after. */
  readonly named: NamedTasks[] = [];
  /** The tasks' rollback_after as written, resolved once every task is loaded. */
  readonly afterRefs: RollbackAfterRef[] = [];

  constructor(private readonly problems: Diagnostic[]) {}

  /** The includes of files that declare needs, to check once the inventory and -e are known. */
  contracts(): TaskFileContracts {
    return { contracts: this.includes, providers: this.providers };
  }

  /** Normalizes a list of written tasks, expanding includes. */
  tasks(src: YamlSource, listPath: DataPath, written: WrittenTask[], scope: Scope, idPrefix: string): TaskSpec[] {
    const out: TaskSpec[] = [];
    written.forEach((t, i) => {
      const dataPath = [...listPath, i];
      const id = `${idPrefix}${i + 1}`;
      if (kindOf(t) === 'include') out.push(...this.include(src, dataPath, t, scope, id));
      else out.push(this.task(src, dataPath, t, scope.includedFrom, id));
    });
    return out;
  }

  private task(src: YamlSource, dataPath: DataPath, t: WrittenTask, includedFrom: SourcePos[], id: string): TaskSpec {
    const spec = this.common(src, dataPath, t, includedFrom, id, t.name);
    spec.register = t.register;
    if (t.register) this.registered.add(t.register);
    for (const name of factNames(spec)) {
      this.registered.add(name);
      this.facts.add(name);
    }
    spec.runOnce = t.run_once ?? false;
    if (t.check_mode !== undefined) spec.checkMode = t.check_mode;
    spec.tags = t.tags ?? [];
    spec.loop = loopSpec(src, dataPath, t, includedFrom, this.problems);
    this.named.push({ name: t.name, id });
    const after = writtenAfter(t.rollback_after, (i) => posAt(src, i === undefined ? [...dataPath, 'rollback_after'] : [...dataPath, 'rollback_after', i]));
    if (after.length) this.afterRefs.push({ task: spec, names: after });
    if (t.rollback !== undefined) {
      const rbPath = [...dataPath, 'rollback'];
      const rb: RollbackTask = typeof t.rollback === 'string' ? { command: t.rollback } : t.rollback;
      spec.rollback = this.common(src, rbPath, rb, includedFrom, `${id}.undo`, rb.name ?? `undo: ${t.name}`);
      // The undo of a hidden command usually holds the same secrets.
      spec.rollback.noLog ||= spec.noLog;
      if (typeof t.rollback === 'string') {
        // The command is the rollback value itself, so template errors must point at it, not at a "command" key.
        spec.rollback.argsPath = rbPath;
        spec.rollback.argsShorthand = true;
      }
    }
    return spec;
  }

  private common(
    src: YamlSource,
    dataPath: DataPath,
    t: WrittenTask | RollbackTask,
    includedFrom: SourcePos[],
    id: string,
    name: string,
  ): TaskSpec {
    const kind = kindOf(t);
    const o = origin(src, dataPath, includedFrom);
    const written = (t as Record<string, unknown>)[kind];
    return {
      id,
      name,
      kind,
      args: taskKinds[kind].normalize(written as never),
      argsPath: [...dataPath, kind],
      argsShorthand: typeof written === 'string',
      when: t.when === undefined ? [] : [{ expr: t.when, origin: origin(src, [...dataPath, 'when'], includedFrom) }],
      timeoutMs: durationMs(t.timeout, TASK_DEFAULTS.timeoutMs),
      retries: t.retries ?? 0,
      delayMs: durationMs(t.delay, TASK_DEFAULTS.delayMs),
      until: t.until,
      ignoreErrors: t.ignore_errors ?? false,
      noLog: t.no_log ?? false,
      changedWhen: 'changed_when' in t ? conditionsAt(src, [...dataPath, 'changed_when'], t.changed_when, includedFrom, this.problems) : [],
      failedWhen: 'failed_when' in t ? conditionsAt(src, [...dataPath, 'failed_when'], t.failed_when, includedFrom, this.problems) : [],
      become: t.become,
      becomeUser: 'become_user' in t ? t.become_user : undefined,
      local: t.local ?? false,
      runOnce: false,
      vars: t.vars ?? {},
      tags: [],
      origin: o,
    };
  }

  private include(src: YamlSource, dataPath: DataPath, t: WrittenTask, scope: Scope, id: string): TaskSpec[] {
    const { includedFrom, stack } = scope;
    const here = posAt(src, dataPath);
    this.named.push({ name: t.name, id });
    for (const key of Object.keys(t)) {
      if (!INCLUDE_KEYS.has(key) && (COMMON_KEYS as readonly string[]).includes(key)) {
        this.problems.push({
          code: key.startsWith('loop') ? 'E_LOOP' : 'E_INCLUDE',
          severity: 'error',
          message: `task "${t.name}": an include takes only name, when, tags, vars and no_log, not "${key}"`,
          hint: key.startsWith('loop') ? LOOP_ON_INCLUDE : `Put "${key}" on the tasks inside the included file.`,
          pos: keyPos(src, dataPath, key) ?? posAt(src, [...dataPath, key]),
        });
      }
    }
    const args = taskKinds.include.normalize(t.include!);
    const argPos = posAt(src, typeof t.include === 'string' ? [...dataPath, 'include'] : [...dataPath, 'include', 'file']);
    const target = resolveFileRef(src.absPath, args.file);
    if (stack.includes(target)) {
      const chain = [...stack.slice(stack.indexOf(target)), target].map((f) => path.basename(f)).join(' -> ');
      this.problems.push({
        code: 'E_INCLUDE',
        severity: 'error',
        message: `include cycle: ${chain}`,
        hint: 'A task file must not include itself, directly or through other files; move the shared tasks into a file both can include.',
        pos: argPos,
      });
      return [];
    }
    const child = this.taskFile(target, args.file, argPos);
    if (!child) return [];
    // Include vars sit between the include task's vars and each inner task's own vars.
    const outerVars = { ...(t.vars ?? {}), ...args.vars };
    const { tasks: written, listPath, iface } = splitTaskFile(child);
    const given = new Set([...scope.given, ...Object.keys(outerVars), ...this.facts]);
    if (iface) {
      this.includes.push({ file: args.file, pos: argPos, needsVars: iface.needsVars, needsRegistered: iface.needsRegistered, given: [...given], registeredBefore: [...this.registered] });
      // The file's needs are answered here; the includes inside it may count on them.
      for (const n of [...iface.needsVars, ...iface.needsRegistered]) given.add(n);
    }
    const inner = { includedFrom: [...includedFrom, here], stack: [...stack, target], given };
    const tasks = this.tasks(child, listPath, written as WrittenTask[], inner, `${id}.`);
    if (iface) this.provided(child, args.file, iface, registersOf(tasks));
    const outerWhen: Condition[] = t.when === undefined ? [] : [{ expr: t.when, origin: origin(src, [...dataPath, 'when'], includedFrom) }];
    for (const task of tasks) {
      task.when = [...outerWhen, ...task.when];
      task.tags = [...new Set([...(t.tags ?? []), ...task.tags])];
      task.vars = { ...outerVars, ...task.vars };
      if (t.no_log) {
        task.noLog = true;
        if (task.rollback) task.rollback.noLog = true;
      }
    }
    return tasks;
  }

  /** Reads and schema-checks an included file; a file that is not a task file is a problem at the include. */
  private taskFile(target: string, written: string, at: SourcePos): YamlSource | undefined {
    const child = loadYamlFile(target, this.problems, at);
    if (child && !this.included.includes(child)) this.included.push(child);
    if (!child || child.value === undefined) return undefined;
    const v = child.value;
    const mapping = v !== null && typeof v === 'object' && !Array.isArray(v);
    // A mapping with hosts or a name is a playbook; a task file's mapping form has neither.
    const isPlaybook = mapping && 'tasks' in v && ('hosts' in v || 'name' in v);
    if (isPlaybook || !(Array.isArray(v) || (mapping && 'tasks' in v))) {
      // Reported at the include, not in the other file: that file may be a fine playbook.
      this.problems.push({
        code: 'E_INCLUDE',
        severity: 'error',
        message: `${written} is ${isPlaybook ? 'a playbook' : 'not a task file'}: include takes a task file, a YAML list of tasks (or a mapping with needs, provides and tasks)`,
        hint: isPlaybook ? 'Move the shared tasks into a file of their own (a list of tasks) and include that.' : 'A task file is a list: each task starts with "- name: ...".',
        pos: at,
      });
      return undefined;
    }
    return checkSchema(child, 'tasks', this.problems) ? child : undefined;
  }

  /** Records what an included file provides, once its promise is checked against what its tasks register. */
  private provided(child: YamlSource, written: string, iface: TaskFileInterface, registers: ReadonlySet<string>): void {
    // The same file included twice would report the same broken promise twice.
    const known = new Set(this.problems.map((p) => `${p.pos ? formatPos(p.pos) : ''} ${p.message}`));
    for (const d of unkeptProvides(child, iface, registers)) if (!known.has(`${formatPos(d.pos!)} ${d.message}`)) this.problems.push(d);
    for (const name of iface.provides) this.providers[name] ??= written;
  }
}
