import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { KplayError } from '../errors.js';
import { formatPos } from '../errors.js';
import type { Condition, Playbook, TaskSpec } from '../config/model.js';
import type { ResolvedSecret } from '../config/secrets.js';
import { sealSecrets } from '../journal/secret-seal.js';
import { unmetNeeds } from '../config/task-interface.js';
import { posAt } from '../config/yaml-source.js';
import type { Inventory, InventoryHost } from '../inventory/inventory.js';
import { matchHosts, splitLimit } from '../inventory/pattern.js';
import { compileTemplate, isRuntimeValue, runtimeObject, runtimeResult, TemplateError } from '../template/index.js';
import { taskKinds } from '../tasks/registry.js';
import type { YamlSource } from '../config/yaml-source.js';
import { NO_LOG_SHOWN, PLAN_VERSION } from './plan.js';
import type { HostPlan, Plan, PlanInputs, PlannedUndo, PlanStep } from './plan.js';
import { allHold, checkResultConditions, evaluateConditionField, isConditionField, resultContext } from './result-conditions.js';
import { argFields, conditionAt, PlacedTemplateError, placed, siteOf, templateAt, untilSite } from './task-templates.js';
import { sha256, TemplateFiles } from './template-files.js';
import { hostSecretDecls, secretConflicts, secretVars } from './secret-vars.js';
import { resolveVars } from './vars.js';
import { itemTasks, loopResultPlaceholder, loopValues, placeholderTask, withLoop } from './loop.js';
import { TaskFailed } from '../tasks/kind.js';
import { Redactor } from '../report/redact.js';
import type { VarLayer } from './vars.js';
import { hostVarLayers } from '../inventory/var-layers.js';

/** What the user asked for on top of the playbook and inventory. */
export interface PlanOptions {
  /** --limit: host patterns separated by commas. */
  limit?: string;
  /** -e values, highest precedence, never templated. */
  extraVars?: Record<string, unknown>;
  /** The -e arguments as given, for the plan's record of its inputs. */
  extraVarArgs?: string[];
  /** The files the -e @file arguments read. */
  extraVarFiles?: YamlSource[];
  tags?: string[];
  skipTags?: string[];
}

/** The inputs a Plan was built from: what a run needs to render steps again with real results. */
export interface PlanSource {
  playbook: Playbook;
  inventory: Inventory;
  opts: PlanOptions;
}

/** A plan with what it was built from: what a run needs. */
export interface SourcedPlan<H = HostPlan> {
  plan: Plan<H>;
  source: PlanSource;
}

/** The result of planning: a Plan with what it was built from when the input allows one, and every problem found. */
export interface Planned<H = HostPlan> {
  plan?: Plan<H>;
  source?: PlanSource;
  problems: Diagnostic[];
}

/** Tasks tagged this way run whatever --tags says (but --skip-tags still skips them). */
const ALWAYS_TAG = 'always';

/**
 * Resolves hosts and variables and renders every task for every host. Nothing is connected.
 *
 * `keep` makes what the plan keeps of each host from its HostPlan, as soon as the host is planned.
 * A caller that only prints the plan keeps the host's JSON text: then the steps of a 500-host plan
 * (15,000 of them, with their arguments and previews) die young instead of filling the heap that
 * the garbage collector goes over again and again while the other hosts are planned.
 */
export function buildPlan(playbook: Playbook, inventory: Inventory, opts?: PlanOptions): Planned;
export function buildPlan<H>(playbook: Playbook, inventory: Inventory, opts: PlanOptions, keep: (host: HostPlan) => H): Planned<H>;
export function buildPlan(playbook: Playbook, inventory: Inventory, opts: PlanOptions = {}, keep = (host: HostPlan): unknown => host): Planned<unknown> {
  const problems: Diagnostic[] = secretConflicts(playbook, inventory, opts.extraVars ?? {});
  const hosts = selectHosts(playbook, inventory, opts, problems);
  if (problems.some((p) => p.severity === 'error')) return { problems };
  // An include that lacks what its file needs would fail deep inside that file: say so at the include.
  checkNeeds(playbook, inventory, hosts, opts, problems);
  if (problems.some((p) => p.severity === 'error')) return { problems };

  const batchSize = playbook.serial ?? hosts.length;
  const batches: string[][] = [];
  for (let i = 0; i < hosts.length; i += batchSize) batches.push(hosts.slice(i, i + batchSize).map((h) => h.name));
  const firstOfBatch = new Map<string, string>();
  for (const b of batches) for (const n of b) firstOfBatch.set(n, b[0]!);

  const sink = new ProblemSink();
  const files = new TemplateFiles();
  const hostPlans = hosts.map((h) => keep(planHost(new HostRenderer(playbook, inventory, h, opts, sink, { files }), firstOfBatch.get(h.name)!)));
  sink.flush(problems, hosts.length);
  if (problems.some((p) => p.severity === 'error')) return { problems };
  const plan: Plan<unknown> = {
    planVersion: PLAN_VERSION,
    playbook: { name: playbook.name, file: playbook.file, description: playbook.description },
    inventory: inventory.file,
    inputs: planInputs(playbook, inventory, opts, files),
    batches,
    hosts: hostPlans,
  };
  return { problems, plan, source: { playbook, inventory, opts } };
}

/** The needs of included task files that neither the playbook, nor the inventory for a host, nor -e define. */
function checkNeeds(playbook: Playbook, inv: Inventory, hosts: InventoryHost[], opts: PlanOptions, problems: Diagnostic[]): void {
  const sink = new ProblemSink();
  for (const h of hosts) {
    const layers = [...varLayers(playbook, inv, h), { vars: opts.extraVars ?? {} }];
    const secrets = new Set(hostSecretDecls(playbook, inv, h).map((d) => d.name));
    const defined = (name: string): boolean => secrets.has(name) || layers.some((l) => Object.hasOwn(l.vars, name));
    for (const d of unmetNeeds(playbook.taskFiles, defined)) sink.add(d, h.name);
  }
  sink.flush(problems, hosts.length);
}

/** Every file read to build a plan, with its checksum, and the options it was built with. */
function planInputs(playbook: Playbook, inventory: Inventory, opts: PlanOptions, templates: TemplateFiles): PlanInputs {
  const files = new Map<string, string>();
  for (const src of [...playbook.sources, ...(inventory.files ?? (inventory.src ? [inventory.src] : [])), ...(opts.extraVarFiles ?? [])]) {
    files.set(src.absPath, sha256(src.text));
  }
  for (const [file, sum] of templates.read) files.set(file, sum);
  return {
    playbook: playbook.absPath,
    // `-i k8s:CONTEXT` names no file: it is kept as given, to list the Nodes again.
    inventory: inventory.src?.absPath ?? (inventory.cluster ? inventory.file : path.resolve(inventory.file)),
    extraVars: opts.extraVarArgs ?? [],
    limit: opts.limit,
    tags: opts.tags,
    skipTags: opts.skipTags,
    cwd: process.cwd(),
    files: [...files].map(([file, sum]) => ({ path: file, sha256: sum })),
  };
}

function selectHosts(playbook: Playbook, inv: Inventory, opts: PlanOptions, problems: Diagnostic[]): InventoryHost[] {
  let names = matchHosts(inv, playbook.hosts, playbook.hostsPos.map((pos) => ({ pos })), problems);
  if (opts.limit !== undefined) {
    const limited = new Set(matchHosts(inv, splitLimit(opts.limit), { flag: '--limit' }, problems));
    names = names.filter((n) => limited.has(n));
  }
  if (problems.length) return [];
  if (names.length === 0) {
    problems.push({
      code: 'E_INVENTORY',
      severity: 'error',
      message: `no hosts selected: hosts ${JSON.stringify(playbook.hosts.join(','))}${opts.limit ? ` with --limit ${opts.limit}` : ''} matches none in ${inv.file}`,
      hint: 'Check the playbook hosts and --limit against the inventory.',
      pos: playbook.hostsOrigin.pos,
    });
  } else if (playbook.maxHosts !== undefined && names.length > playbook.maxHosts) {
    problems.push({
      code: 'E_INVENTORY',
      severity: 'error',
      message: `this playbook acts on at most ${playbook.maxHosts} host${playbook.maxHosts === 1 ? '' : 's'} at a time, and ${names.length} are selected (${names.join(', ')})`,
      hint: `Choose with --limit, for example --limit ${names[0]}. Nothing has been changed.`,
      pos: playbook.hostsOrigin.pos,
    });
  }
  return names.map((n) => inv.hosts.get(n)!);
}

/** Collects problems once: the same template error on 500 hosts is one problem. */
export class ProblemSink {
  private readonly found = new Map<string, { d: Diagnostic; hosts: string[] }>();

  add(d: Diagnostic, host: string): void {
    const key = `${d.pos ? formatPos(d.pos) : ''}:${d.message}`;
    const entry = this.found.get(key);
    if (entry) entry.hosts.push(host);
    else this.found.set(key, { d, hosts: [host] });
  }

  /** The problems, naming hosts only where a problem does not concern every host. */
  flush(into: Diagnostic[], hostCount: number): void {
    for (const { d, hosts } of this.found.values()) {
      if (hosts.length === hostCount) into.push(d);
      else {
        const shown = hosts.length > 3 ? `${hosts.slice(0, 3).join(', ')} and ${hosts.length - 3} more` : hosts.join(', ');
        into.push({ ...d, message: `${d.message} (on host${hosts.length === 1 ? '' : 's'} ${shown})` });
      }
    }
  }
}

/** Problems of one host, minus those a failed variable already explains. */
class HostSink {
  constructor(
    private readonly sink: ProblemSink,
    readonly host: string,
    private readonly failed: ReadonlySet<string>,
  ) {}

  add(d: Diagnostic): void {
    const root = /^undefined variable "([^".[]+)/.exec(d.message)?.[1];
    if (root !== undefined && this.failed.has(root)) return;
    this.sink.add(d, this.host);
  }

  /** Runs fn; a placed template error becomes a problem and fn's result is undefined. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PlacedTemplateError) {
        this.add(err.diagnostic);
        return undefined;
      }
      throw err;
    }
  }
}

function hostFacts(h: InventoryHost): Record<string, unknown> {
  return { name: h.name, address: h.address, groups: h.groups, port: h.port, user: h.connection.user };
}

function varLayers(playbook: Playbook, inv: Inventory, h: InventoryHost): VarLayer[] {
  const pbSrc = playbook.hostsOrigin.src;
  const layers: VarLayer[] = [
    ...playbook.varsFiles.map((f) => ({ vars: f.vars, src: f.src, path: ['vars'] })),
    { vars: playbook.vars, src: pbSrc, path: ['vars'] },
    ...hostVarLayers(inv, h),
  ];
  return layers;
}

/** What a HostRenderer may be given besides the host. */
export interface RendererSeams {
  /** Planning: render template files to check them (and record them as the plan's inputs). */
  files?: TemplateFiles;
  /** The `host` facts, when they are not the inventory host's (checking a playbook with no inventory). */
  facts?: Record<string, unknown>;
  /** The secrets' values, at run time; planning leaves them out and shows ******** instead. */
  secrets?: readonly ResolvedSecret[];
}

/**
 * Renders a host's tasks: once with placeholders for registered results when planning, and again
 * at run time with the real results, through the same code, so that what the preview shows is
 * what runs.
 */
export class HostRenderer {
  private readonly layers: VarLayer[];
  private readonly extra: VarLayer;
  private readonly base: Record<string, unknown> & { host: Record<string, unknown> };
  private readonly hostFailed: ReadonlySet<string>;
  /** Variables, then registered results, then -e values: one context, updated as results register. */
  private readonly context: Record<string, unknown>;
  private readonly registered: Record<string, unknown> = {};
  private readonly registeredNames = new Set<string>();
  /** Tasks' vars resolved (by their JSON) since a result or fact last changed; see contextOf. */
  private readonly taskVars = new Map<string, { vars: Record<string, unknown>; failed: ReadonlySet<string> }>();
  /** Contexts of tasks without vars of their own, by task_dir, since a result or fact last changed. */
  private readonly dirContexts = new Map<string, Record<string, unknown>>();

  /** Set when planning: template files are rendered to check them, and recorded as inputs. */
  private readonly files: TemplateFiles | undefined;
  private readonly secrets: readonly ResolvedSecret[];

  constructor(
    private readonly playbook: Playbook,
    inv: Inventory,
    readonly host: InventoryHost,
    private readonly opts: PlanOptions,
    private readonly sink: ProblemSink,
    seams: RendererSeams = {},
  ) {
    this.files = seams.files;
    this.secrets = seams.secrets ?? [];
    this.layers = varLayers(playbook, inv, host);
    this.extra = { vars: opts.extraVars ?? {} };
    // playbook_dir lets a playbook's tasks name files beside it, such as scripts in playbooks/lib.
    // Secrets sit under every layer of variables: buildPlan refuses any variable that shares a name with one.
    this.base = { ...secretVars(hostSecretDecls(playbook, inv, host), this.secrets), host: seams.facts ?? hostFacts(host), playbook_dir: path.dirname(playbook.absPath) };
    const problems: Diagnostic[] = [];
    const { vars, failed } = resolveVars([...this.layers, this.extra], this.base, problems);
    for (const p of problems) sink.add(p, host.name);
    this.hostFailed = failed;
    this.context = { ...vars, ...this.extra.vars, host: this.base.host };
  }

  /**
   * The step for a task given what has been registered so far; `placeholders` marks a dry run.
   * Problems go to `sink` (at run time, a fresh one per step, so a bad value fails that step).
   */
  step(task: TaskSpec, batchLeader: string, placeholders: boolean, sink: ProblemSink = this.sink): PlanStep {
    if (task.loop) return this.loopStep(task, batchLeader, placeholders, sink);
    const { context, failed } = this.contextOf(task, sink);
    // Whatever reads a variable that failed to resolve was reported with that variable.
    const hostSink = new HostSink(sink, this.host.name, failed);
    const names = placeholders ? this.registeredNames : NO_NAMES;
    const files = placeholders ? this.files : undefined;
    const step = planStep(this.playbook, this.host, task, context, names, batchLeader, this.opts, hostSink, placeholders, files);
    // The undo is journaled from here: its secrets go in as seals, resolved again when it runs.
    if (step.undo) step.undo.args = sealSecrets(step.undo.args, this.secrets);
    return step;
  }

  /** A looped task's step: the task with <item> placeholders, and each item's step when the list is known now. */
  private loopStep(task: TaskSpec, batchLeader: string, placeholders: boolean, sink: ProblemSink): PlanStep {
    const shape = placeholderTask(task);
    const outer = this.step(shape, batchLeader, placeholders, sink);
    // A loop skipped whatever its items are (tags, run_once, a false when) needs no items.
    if (outer.action === 'skip') return withLoop(outer, task.loop!, undefined);
    const { context, failed } = this.contextOf(shape, new ProblemSink());
    const names = placeholders ? this.registeredNames : NO_NAMES;
    const items = new HostSink(sink, this.host.name, failed).attempt(() => {
      const values = loopValues(task, context, (root) => isRuntimeValue(context[root]) || names.has(root));
      return isRuntimeValue(values) ? undefined : itemTasks(task, values, context);
    });
    return withLoop(outer, task.loop!, items?.map((t) => this.step(t, batchLeader, placeholders, sink)));
  }

  /** A loop's items at run time, each as the task that runs it; a list that cannot be had fails the task. */
  loopItems(task: TaskSpec): TaskSpec[] {
    const { context } = this.contextOf(placeholderTask(task), new ProblemSink());
    try {
      const values = loopValues(task, context, (root) => isRuntimeValue(context[root]));
      if (isRuntimeValue(values)) throw new TaskFailed(`task "${task.name}": loop ${String(task.loop!.over)} is still unknown when the task runs`, {}, { code: 'E_LOOP', pos: task.loop!.origin.pos });
      const redactor = new Redactor(this.secrets.map((s) => s.value));
      return itemTasks(task, values, context, (text) => redactor.text(text));
    } catch (err) {
      if (!(err instanceof PlacedTemplateError)) throw err;
      throw new TaskFailed(err.diagnostic.message, {}, { code: err.diagnostic.code, pos: err.diagnostic.pos });
    }
  }

  /**
   * The values a task's templates see: the host's, with the task's own (and its include's) vars,
   * and task_dir, the folder of the file the task is written in (a shared task file finds its
   * scripts beside itself, wherever the playbook that includes it is).
   */
  private contextOf(task: TaskSpec, sink: ProblemSink): { context: Record<string, unknown>; failed: ReadonlySet<string> } {
    const task_dir = taskDir(task);
    // A loop's item wins over every variable (as in Ansible) and is never rendered: it is a value.
    if (!Object.keys(task.vars).length) {
      if (task.item) return { context: { ...this.context, ...task.item, task_dir }, failed: this.hostFailed };
      // Tasks read their context and never change it: those of one file share a copy.
      let context = this.dirContexts.get(task_dir);
      if (!context) this.dirContexts.set(task_dir, (context = { ...this.context, task_dir }));
      return { context, failed: this.hostFailed };
    }
    // The tasks of an include carry the same vars: resolved once while no result changes.
    const key = task.item ? undefined : JSON.stringify(task.vars);
    const known = key === undefined ? undefined : this.taskVars.get(key);
    if (known) return { context: { ...known.vars, task_dir }, failed: known.failed };
    const taskProblems: Diagnostic[] = [];
    const taskLayer: VarLayer = { vars: task.vars, src: task.origin.src, path: [...task.origin.dataPath, 'vars'] };
    const resolved = resolveVars([...this.layers, { vars: this.registered }, taskLayer, this.extra], task.item ? { ...this.base, ...task.item } : this.base, taskProblems);
    Object.assign(resolved.vars, task.item);
    resolved.vars.host = this.base.host;
    // Only a clean resolution is kept: problems are placed at the task that has them.
    if (key !== undefined && !taskProblems.length) this.taskVars.set(key, { vars: { ...resolved.vars }, failed: resolved.failed });
    resolved.vars.task_dir = task_dir;
    for (const p of taskProblems) sink.add(p, this.host.name);
    return { context: resolved.vars, failed: resolved.failed };
  }

  /** Evaluates a task's `until` with its latest result, at run time; a problem is an E_TEMPLATE error at the `until`. */
  until(task: TaskSpec, result: unknown): boolean {
    const context = resultContext({ ...this.context, ...task.vars, ...task.item, task_dir: taskDir(task) }, task, result);
    try {
      return conditionAt(task.until!, untilSite(task)).evaluate(context) === true;
    } catch (err) {
      const p = placed(err, untilSite(task));
      if (!(p instanceof PlacedTemplateError)) throw p;
      throw new KplayError('E_TEMPLATE', p.diagnostic.message, { pos: p.diagnostic.pos, hint: p.diagnostic.hint });
    }
  }

  /**
   * Whether all of a task's changed_when or failed_when conditions hold for its result, at run
   * time; a problem is an E_TEMPLATE error at the condition.
   */
  holds(task: TaskSpec, conditions: TaskSpec['failedWhen'], result: unknown): boolean {
    const context = resultContext(this.contextOf(task, new ProblemSink()).context, task, result);
    try {
      return allHold(conditions, context);
    } catch (err) {
      if (!(err instanceof PlacedTemplateError)) throw err;
      throw new KplayError('E_TEMPLATE', err.diagnostic.message, { pos: err.diagnostic.pos, hint: err.diagnostic.hint });
    }
  }

  /**
   * Renders the text of a template file (the `template` kind) with the host's variables and, given
   * the task, its own vars, as the plan rendered it.
   */
  renderText(text: string, file: string, task?: TaskSpec): string {
    // Problems of the task's vars were reported when the step was rendered.
    const context = task ? this.contextOf(task, new ProblemSink()).context : this.context;
    try {
      return compileTemplate(text, 'text').render(context);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      throw new KplayError('E_TEMPLATE', err.problem.message, { pos: { file, line: err.problem.line, col: err.problem.col }, hint: err.problem.hint });
    }
  }

  /** Every task's step before anything runs: registered results are placeholders. */
  planSteps(batchLeader: string): PlanStep[] {
    return this.playbook.tasks.map((task) => {
      const step = this.step(task, batchLeader, true);
      if (task.register) this.register(task.register, task.loop ? loopResultPlaceholder(task.name) : runtimeResult(task.name));
      const facts = taskKinds[task.kind].plannedFacts?.(step.args as never);
      // A fact whose value or whose task's running only the run can tell is a placeholder to the
      // tasks after it; one that is certainly skipped is not set.
      const whenLate = step.runtimeWhen.length > 0;
      if (facts && step.action === 'run') this.setFacts(Object.fromEntries(Object.entries(facts).map(([n, v]) => [n, whenLate || this.late(task, n) ? runtimeObject(n) : v])));
      return step;
    });
  }

  /** Whether an argument's value waits for the run: a template in it reads a result not known before. */
  private late(task: TaskSpec, arg: string): boolean {
    return argFields(task).some((f) => f.field[0] === arg && f.compiled?.references.some((r) => this.registeredNames.has(r.root) || isRuntimeValue(this.context[r.root])));
  }

  /** Sets variables (set_fact) for the tasks after this one: where registered results sit. */
  setFacts(facts: Record<string, unknown>): void {
    this.forgetContexts();
    for (const [name, value] of Object.entries(facts)) {
      this.registered[name] = value;
      // Known now, it renders now: only a placeholder makes the tasks reading it wait for the run.
      if (isRuntimeValue(value)) this.registeredNames.add(name);
      else this.registeredNames.delete(name);
      if (!(name in this.extra.vars)) this.context[name] = value;
    }
  }

  /** The contexts kept by contextOf were made from variables a result or fact has just changed. */
  private forgetContexts(): void {
    this.taskVars.clear();
    this.dirContexts.clear();
  }

  /** Makes a task's result visible to the tasks after it. */
  register(name: string, result: unknown): void {
    this.forgetContexts();
    this.registered[name] = result;
    this.registeredNames.add(name);
    // Registered results sit below -e values in precedence.
    if (!(name in this.extra.vars)) this.context[name] = result;
  }
}

const NO_NAMES: ReadonlySet<string> = new Set();
const NO_FIELDS: ReadonlySet<string> = new Set();

function taskDir(task: TaskSpec): string {
  return path.dirname(task.origin.src.absPath);
}

function planHost(renderer: HostRenderer, batchLeader: string): HostPlan {
  const h = renderer.host;
  return { name: h.name, address: h.address, port: h.port, user: h.connection.user, groups: h.groups, ...(h.origin ? { origin: h.origin } : {}), steps: renderer.planSteps(batchLeader) };
}

function selectedByTags(task: TaskSpec, opts: PlanOptions): string | undefined {
  if (opts.skipTags?.some((t) => task.tags.includes(t))) return `skipped by --skip-tags`;
  if (opts.tags?.length && !task.tags.includes(ALWAYS_TAG) && !opts.tags.some((t) => task.tags.includes(t))) {
    return `not selected by --tags ${opts.tags.join(',')}`;
  }
  return undefined;
}

/**
 * Evaluates a task's conditions (all must hold): the reason it is skipped when one is false now,
 * otherwise the expressions that only run time can decide.
 */
function evaluateWhen(conditions: Condition[], context: Record<string, unknown>, sink: HostSink): { falseBecause?: string; atRunTime: string[] } {
  const atRunTime: string[] = [];
  for (const w of conditions) {
    if (typeof w.expr === 'boolean') {
      if (!w.expr) return { falseBecause: 'when: false', atRunTime };
      continue;
    }
    const expr = w.expr;
    const answer = sink.attempt(() => {
      try {
        return conditionAt(expr, siteOf(w.origin)).evaluate(context);
      } catch (err) {
        throw placed(err, siteOf(w.origin));
      }
    });
    if (answer === false) return { falseBecause: `when: ${expr} is false`, atRunTime };
    if (isRuntimeValue(answer)) atRunTime.push(expr);
  }
  return { atRunTime };
}

function planStep(
  playbook: Playbook,
  h: InventoryHost,
  task: TaskSpec,
  context: Record<string, unknown>,
  registeredNames: ReadonlySet<string>,
  batchLeader: string,
  opts: PlanOptions,
  sink: HostSink,
  placeholders: boolean,
  files: TemplateFiles | undefined,
): PlanStep {
  const kind = taskKinds[task.kind];
  // The playbook's and inventory's become are about the hosts; on the controller a step uses
  // sudo only when it says so itself.
  const becomeOf = (own: boolean | undefined, local: boolean): boolean => own ?? (local ? false : (playbook.become ?? h.connection.become ?? false));
  const become = becomeOf(task.become, task.local);
  const becomeUser = become ? becomeUserOf(task.becomeUser, context, playbook.becomeUser) : undefined;
  const runtimeWhen: string[] = [];
  let reason = selectedByTags(task, opts);
  if (!reason && task.runOnce && batchLeader !== h.name) reason = `run_once: runs on ${batchLeader}`;
  if (!reason) {
    const w = evaluateWhen(task.when, context, sink);
    if (w.falseBecause) reason = w.falseBecause;
    else runtimeWhen.push(...w.atRunTime);
  }
  if (task.until !== undefined) sink.attempt(() => conditionAt(task.until!, untilSite(task)));
  checkResultConditions(task, context, (fn) => sink.attempt(fn));
  if (!reason && runtimeWhen.length) reason = `runs only if ${runtimeWhen.join(' and ')} (decided at run time)`;
  // At run time a task that will not run is not rendered for real: it may read results of tasks
  // that were skipped too (a stop step of another stop_method, say). The dry run still renders it,
  // against placeholders, so that its mistakes are reported before anything runs.
  const certainSkip = reason !== undefined && runtimeWhen.length === 0;
  const rendered = renderArgs(task, context, registeredNames, certainSkip && !placeholders ? new HostSink(new ProblemSink(), h.name, new Set()) : sink);
  if (files) checkTemplateFile(files, task, rendered, context, sink);

  let undo: PlannedUndo | undefined;
  if (task.rollback) {
    // The undo may read the task's own result (a path it printed, say); at run time the undo is
    // rendered again once that result exists.
    const ownPending = task.register !== undefined && (placeholders || !(task.register in context));
    const undoContext = ownPending ? { ...context, [task.register!]: runtimeResult(task.name) } : context;
    const undoNames = ownPending ? new Set([...registeredNames, task.register!]) : registeredNames;
    const rb = task.rollback;
    // A rollback whose when is false has nothing to undo; one decided by a run-time value is
    // rendered again after the task has run, when the value is known.
    const undoWhen = evaluateWhen(rb.when, undoContext, sink);
    const undoLocal = rb.local || task.local;
    if (!undoWhen.falseBecause) {
      const r = renderArgs(rb, undoContext, undoNames, sink);
      if (files) checkTemplateFile(files, rb, r, undoContext, sink);
      undo = {
        name: rb.name,
        kind: rb.kind,
        args: r.args,
        preview: rb.noLog ? [NO_LOG_SHOWN] : r.preview,
        runtime: r.runtime || undoWhen.atRunTime.length > 0,
        // A rollback run where its task ran keeps the task's become; one moved to the controller
        // uses sudo there only when it says so itself.
        become: becomeOf(rb.become ?? (undoLocal === task.local ? task.become : undefined), undoLocal),
        // The undo acts as the user its task acted as.
        becomeUser,
        local: undoLocal,
        timeoutMs: rb.timeoutMs,
        retries: rb.retries,
        delayMs: rb.delayMs,
        ignoreErrors: rb.ignoreErrors,
        noLog: rb.noLog,
      };
    }
  }
  const skipped = certainSkip;
  return {
    id: task.id,
    name: task.name,
    kind: task.kind,
    source: formatPos(task.origin.pos),
    action: skipped ? 'skip' : 'run',
    reason,
    runtimeWhen,
    args: rendered.args,
    preview: task.noLog ? [NO_LOG_SHOWN] : rendered.preview,
    runtime: rendered.runtime,
    changes: kind.changes,
    become,
    // Written out even when undefined (JSON leaves it out): an object literal with a spread in
    // its middle is built key by key, and planning builds one per host and task.
    becomeUser,
    local: task.local,
    runOnce: task.runOnce,
    register: task.register,
    timeoutMs: task.timeoutMs,
    retries: task.retries,
    delayMs: task.delayMs,
    until: task.until,
    ignoreErrors: task.ignoreErrors,
    noLog: task.noLog,
    tags: task.tags,
    undo,
  };
}

/**
 * The user a become task runs as: the task's become_user, else the variable become_user (a host's
 * or group's setting: an Ansible inventory's ansible_become_user, or -e), else the playbook's;
 * undefined for root.
 */
function becomeUserOf(own: string | undefined, context: Record<string, unknown>, playbook: string | undefined): string | undefined {
  const setting = context.become_user;
  const user = own ?? (typeof setting === 'string' && setting !== '' ? setting : undefined) ?? playbook;
  return user === 'root' ? undefined : user;
}

/** A task's arguments rendered for one host. */
interface RenderedArgs {
  args: unknown;
  preview: string[];
  runtime: boolean;
  /** Fields (dotted paths) whose value is not final: known only at run time, or failed to render. */
  unsure: ReadonlySet<string>;
}

/**
 * Renders the template file a task names with the step's values, when its name is final: a
 * mistake there is the plan's to report, at the file's own line and column.
 */
function checkTemplateFile(files: TemplateFiles, task: TaskSpec, rendered: RenderedArgs, context: Record<string, unknown>, sink: HostSink): void {
  const field = TemplateFiles.fieldOf(task);
  const src = field === undefined ? undefined : (rendered.args as Record<string, unknown>)[field];
  if (typeof src !== 'string' || rendered.unsure.has(field!)) return;
  files.check(task, src, context, (d) => sink.add(d));
}

/** Renders a task's arguments for one host; a failed field keeps its template text so the other fields still show. */
function renderArgs(task: TaskSpec, context: Record<string, unknown>, registeredNames: ReadonlySet<string>, sink: HostSink): RenderedArgs {
  const args = copyContainers(task.args) as Record<string, unknown>;
  const checks = taskKinds[task.kind].renderedChecks;
  let runtime = false;
  // Most steps have no unsure field: the set is made for the first one.
  let unsure: Set<string> | undefined;
  for (const f of argFields(task)) {
    if (isConditionField(task, f)) {
      const c = evaluateConditionField(f, context, registeredNames, (fn) => sink.attempt(fn));
      setAt(args, [...f.field.slice(0, -1), 'holds'], c.holds);
      if (c.late) runtime = true;
      continue;
    }
    const t = f.compiled ?? sink.attempt(() => (f.compiled = templateAt(f.source, f.mode, f.site)));
    if (!t) (unsure ??= new Set()).add(f.field.join('.'));
    if (!t || t.isConstant) continue;
    const late = t.references.some((r) => isRuntimeValue(context[r.root]) || registeredNames.has(r.root));
    if (late) runtime = true;
    const text = sink.attempt(() => {
      try {
        return t.render(context);
      } catch (err) {
        throw placed(err, f.site);
      }
    });
    if (late || text === undefined) (unsure ??= new Set()).add(f.field.join('.'));
    if (text === undefined) continue;
    setAt(args, f.field, text);
    // A value known only at run time is checked when the step is rendered again, at run time.
    const wrong = late ? undefined : checks?.[f.field.join('.')]?.(text);
    if (wrong) {
      const pos = posAt(f.site.src, f.site.dataPath);
      sink.add({ code: 'E_TEMPLATE', severity: 'error', message: `${f.field.join('.')}: ${wrong}`, hint: `The template ${JSON.stringify(f.source)} gave it; check the variables it reads (an -e value, say).`, pos });
    }
  }
  return { args, preview: taskKinds[task.kind].preview(args as never), runtime, unsure: unsure ?? NO_FIELDS };
}

/** A copy of the arrays and objects in args (strings are immutable and get replaced, not changed). */
function copyContainers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyContainers);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in v) out[k] = copyContainers((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function setAt(target: Record<string, unknown>, field: (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const seg of field.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[field[field.length - 1]!] = value;
}
