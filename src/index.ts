// The library behind the CLI: load, validate, plan. The CLI only parses flags and prints.
import path from 'node:path';
import type { Diagnostic } from './errors.js';
import { InvalidInputError } from './errors.js';
import { parseExtraVars } from './config/extra-vars.js';
import type { Playbook } from './config/model.js';
import { loadPlaybook } from './config/playbook-load.js';
import { checkPaths } from './config/validate-files.js';
import type { FileCheck } from './config/validate-files.js';
import { loadInventory } from './inventory/inventory.js';
import { buildPlan } from './plan/build.js';
import type { Plan } from './plan/plan.js';
import { checkTaskTemplates } from './plan/task-templates.js';
import { resolvePlaybook, SHIPPED_DIR, shippedPlaybooks } from './playbooks/shipped.js';

export * from './errors.js';
export type { Plan, HostPlan, PlanStep, PlannedUndo } from './plan/plan.js';
export type { Playbook, TaskSpec } from './config/model.js';
export type { Inventory, InventoryHost } from './inventory/inventory.js';
export type { FileCheck, FileKind } from './config/validate-files.js';
export { loadPlaybook } from './config/playbook-load.js';
export { loadInventory } from './inventory/inventory.js';
export { buildPlan } from './plan/build.js';
export { formatPlan } from './plan/print.js';
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

/** A plan and the warnings met on the way. */
export interface PlanResult {
  plan: Plan;
  playbook: Playbook;
  warnings: Diagnostic[];
}

/** Loads, validates and plans; throws InvalidInputError carrying every problem found. */
export function plan(req: PlanRequest): PlanResult {
  const problems: Diagnostic[] = [];
  const file = resolvePlaybook(req.playbook, problems);
  const extraVars = parseExtraVars(req.extraVars ?? [], problems);
  const pb = file ? loadPlaybook(file) : { problems: [] };
  const inv = loadInventory(req.inventory);
  problems.push(...pb.problems, ...inv.problems);
  // Template syntax is checked for every task up front, so that one run reports all of it.
  for (const t of pb.value?.tasks ?? []) checkTaskTemplates(t, problems);
  if (!pb.value || !inv.value || problems.some((p) => p.severity === 'error')) throw new InvalidInputError(problems);
  const planned = buildPlan(pb.value, inv.value, {
    limit: req.limit,
    extraVars,
    tags: req.tags,
    skipTags: req.skipTags,
  });
  problems.push(...planned.problems);
  if (!planned.plan) throw new InvalidInputError(problems);
  return { plan: planned.plan, playbook: pb.value, warnings: problems };
}

/**
 * Checks files (playbooks, task files, inventories, vars files) and folders (every YAML file under
 * them) and returns every problem of each.
 */
export function validate(paths: string[]): FileCheck[] {
  return checkPaths(paths);
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
