// The library behind the CLI: load, validate, plan. The CLI only parses flags and prints; see index.ts for the whole API.
import path from 'node:path';
import type { Diagnostic } from './errors.js';
import { InvalidInputError } from './errors.js';
import { parseExtraVars } from './config/extra-vars.js';
import type { Playbook } from './config/model.js';
import { loadPlaybook } from './config/playbook-load.js';
import { checkPaths, inventoryVarNames } from './config/validate-files.js';
import type { FileCheck } from './config/validate-files.js';
import type { YamlSource } from './config/yaml-source.js';
import { loadInventory } from './inventory/inventory.js';
import type { Inventory } from './inventory/inventory.js';
import { buildPlan } from './plan/build.js';
import type { SourcedPlan } from './plan/build.js';
import type { HostPlan } from './plan/plan.js';
import { shownPlan } from './plan/print.js';
import { checkPlanInputs, checkSamePlan, readSavedPlan } from './plan/saved.js';
import { outputSecrets } from './plan/secret-vars.js';
import { checkTaskTemplates } from './plan/task-templates.js';
import { resolvePlaybook, SHIPPED_DIR, shippedPlaybooks } from './playbooks/shipped.js';
import { Redactor } from './report/redact.js';

export * from './errors.js';
export type { Plan, HostPlan, PlanInputFile, PlanInputs, PlanStep, PlannedUndo } from './plan/plan.js';
export type { PlanSource, SourcedPlan } from './plan/build.js';
export type { Playbook, TaskSpec } from './config/model.js';
export type { Inventory, InventoryHost } from './inventory/inventory.js';
export type { FileCheck, FileKind } from './config/validate-files.js';
export { loadPlaybook } from './config/playbook-load.js';
export { loadInventory } from './inventory/inventory.js';
export type { ClusterOptions } from './inventory/inventory.js';
export { listHosts } from './inventory/host-list.js';
export type { HostListing, HostSummary } from './inventory/host-list.js';
export { buildPlan } from './plan/build.js';
export { formatPlan, shownHost, shownPlan } from './plan/print.js';
export { formatDiagnostics } from './report/diagnostics.js';

/** What to plan: the same inputs as `kplay run`. */
export interface PlanRequest {
  /** A path, or the name of a shipped playbook. */
  playbook: string;
  inventory: string;
  limit?: string;
  /** Raw -e values: KEY=VALUE or @file.yaml. */
  extraVars?: string[];
  tags?: string[];
  skipTags?: string[];
}

/** A plan, what it was built from, and the warnings met on the way. */
export interface PlanResult<H = HostPlan> extends SourcedPlan<H> {
  playbook: Playbook;
  warnings: Diagnostic[];
}

/**
 * What a plan keeps of each host, made once the playbook and inventory are loaded: see buildPlan.
 * `kplay plan -o json` keeps each host's JSON text.
 */
export type KeepHost<H> = (playbook: Playbook, inventory: Inventory) => (host: HostPlan) => H;

/** Loads, validates and plans; throws InvalidInputError carrying every problem found. */
export function plan(req: PlanRequest): PlanResult;
export function plan<H>(req: PlanRequest, keep: KeepHost<H>): PlanResult<H>;
export function plan(req: PlanRequest, keep: KeepHost<unknown> = () => (host) => host): PlanResult<unknown> {
  const problems: Diagnostic[] = [];
  const file = resolvePlaybook(req.playbook, problems);
  const extraVarFiles: YamlSource[] = [];
  const extraVars = parseExtraVars(req.extraVars ?? [], problems, extraVarFiles);
  const pb = file ? loadPlaybook(file) : { problems: [] };
  const inv = loadInventory(req.inventory);
  problems.push(...pb.problems, ...inv.problems);
  // Template syntax is checked for every task up front, so that one run reports all of it.
  for (const t of pb.value?.tasks ?? []) checkTaskTemplates(t, problems);
  if (!pb.value || !inv.value || problems.some((p) => p.severity === 'error')) throw new InvalidInputError(problems);
  const planned = buildPlan(
    pb.value,
    inv.value,
    {
      limit: req.limit,
      extraVars,
      // A saved plan is built again from these, perhaps from another folder.
      extraVarArgs: (req.extraVars ?? []).map((v) => (v.startsWith('@') ? `@${path.resolve(v.slice(1))}` : v)),
      extraVarFiles,
      tags: req.tags,
      skipTags: req.skipTags,
    },
    keep(pb.value, inv.value),
  );
  problems.push(...planned.problems);
  if (!planned.plan || !planned.source) throw new InvalidInputError(problems);
  return { plan: planned.plan, source: planned.source, playbook: pb.value, warnings: problems };
}

/**
 * A plan saved with `-o json`, for running: refused (KplayError, exit 4) when another kplay
 * version wrote it, when a file it was built from changed, or when building it again from the
 * same inputs gives another plan. What runs is the plan built again, equal to the saved one.
 */
export function planFromFile(file: string): PlanResult {
  // A plan printed with --diff carries the files it would write too: they are not part of the plan.
  const { diffs: _files, ...saved } = readSavedPlan(file) as ReturnType<typeof readSavedPlan> & { diffs?: unknown };
  const i = saved.inputs;
  checkPlanInputs(i);
  const result = plan({ playbook: i.playbook, inventory: i.inventory, extraVars: i.extraVars, limit: i.limit, tags: i.tags, skipTags: i.skipTags });
  // The saved plan is what `-o json` printed: no_log arguments hidden, secrets masked.
  const secrets = outputSecrets(result.source.playbook, result.source.inventory, process.env);
  checkSamePlan(saved, new Redactor(secrets).data(shownPlan(result.plan)));
  return result;
}

/**
 * Checks files (playbooks, task files, inventories, vars files) and folders (every YAML file under
 * them) and returns every problem of each. The variables of the inventories among them count as
 * defined when the playbooks are checked.
 */
export function validate(paths: string[]): FileCheck[] {
  return checkPaths(paths, (files) => new Set(files.flatMap(inventoryVarNames)));
}

/** A variable of a shipped playbook, for `kplay list` and the README. */
export interface PlaybookVariable {
  name: string;
  default: unknown;
  description?: string;
}

/** A shipped playbook as `kplay list` shows it. */
export interface PlaybookSummary {
  file: string;
  name: string;
  description?: string;
  variables: PlaybookVariable[];
  problems: Diagnostic[];
}

/** The shipped playbooks with their descriptions and variables. */
export function listPlaybooks(): PlaybookSummary[] {
  return shippedPlaybooks().map((f) => {
    const loaded = loadPlaybook(path.join(SHIPPED_DIR, f));
    const pb = loaded.value;
    return {
      file: f,
      name: pb?.name ?? '(does not load)',
      description: pb?.description,
      variables: Object.entries(Object.assign({}, ...(pb?.varsFiles ?? []).map((f) => f.vars), pb?.vars)).map(([name, def]) => ({
        name,
        default: def,
        description: pb?.varDescriptions[name],
      })),
      problems: loaded.problems,
    };
  });
}
