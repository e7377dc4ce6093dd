import type { TaskSettings } from '../config/model.js';
import type { KindName } from '../tasks/kind.js';

/** What a no_log step shows instead of its command, arguments and output, wherever it is shown. */
export const NO_LOG_SHOWN = '(hidden: no_log)';

/** A step's undo, rendered like the step itself. */
export interface PlannedUndo {
  name: string;
  kind: KindName;
  args: unknown;
  preview: string[];
  /** Some of its values are only known at run time (shown as <...> placeholders). */
  runtime: boolean;
  /** The rollback task's own settings (the task's when it says nothing). */
  become: boolean;
  /** With become: the user other than root it runs as (become_user). */
  becomeUser?: string;
  local: boolean;
  timeoutMs: number;
  retries: number;
  delayMs: number;
  ignoreErrors: boolean;
  /** no_log: its arguments and output are shown to nobody (they stay here, for the run). */
  noLog: boolean;
}

/** One task on one host, rendered: what the preview shows is what the engine runs. */
export interface PlanStep extends TaskSettings {
  id: string;
  name: string;
  kind: KindName;
  /** file:line:col where the task is written. */
  source: string;
  action: 'run' | 'skip';
  /** Why the step is skipped, or what decides at run time whether it runs. */
  reason?: string;
  /** `when` expressions whose answer is only known at run time. */
  runtimeWhen: string[];
  args: unknown;
  preview: string[];
  /** Some values are only known at run time (shown as <...> placeholders). */
  runtime: boolean;
  changes: boolean;
  become: boolean;
  /** With become: the user other than root it runs as (become_user). */
  becomeUser?: string;
  local: boolean;
  runOnce: boolean;
  tags: string[];
  undo?: PlannedUndo;
  /** A task with `loop:`: the step itself shows the task with <item> placeholders; `items` run. */
  loop?: PlannedLoop;
}

/** A step's loop: what it goes over and, when the list is known before the run, each item's step. */
export interface PlannedLoop {
  /** The loop as written: the template, or the written list as JSON. */
  over: string;
  loopVar: string;
  indexVar?: string;
  /** Each item's step, in order; absent while the list is known only at run time. */
  items?: PlanStep[];
}

/** A host and its ordered steps. */
export interface HostPlan {
  name: string;
  address: string;
  port: number;
  user?: string;
  groups: string[];
  /** Where the host came from when the inventory file does not list it: a cluster's Node. */
  origin?: string;
  steps: PlanStep[];
}

/** The version of the Plan's JSON shape that this kplay writes, and the only one it runs. */
export const PLAN_VERSION = 2;

/** A file read to build a plan, with the SHA-256 of the text that was read. */
export interface PlanInputFile {
  /** Absolute path. */
  path: string;
  sha256: string;
}

/** What a plan was built from: enough to build it again, and to tell whether anything changed since. */
export interface PlanInputs {
  /** Absolute path of the playbook. */
  playbook: string;
  /** Absolute path of the inventory. */
  inventory: string;
  /** The -e values as given, a @file's path made absolute. */
  extraVars: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  /** The folder the plan was made in: the file names the plan shows are relative to it. */
  cwd: string;
  /** Every file read: playbook, vars files, included task files, inventory, -e files, template files. */
  files: PlanInputFile[];
}

/**
 * Everything a run will do, per host, before anything is connected. `H` is what is kept of each
 * host: its HostPlan, or for a caller that only prints the plan, its JSON text (see buildPlan).
 */
export interface Plan<H = HostPlan> {
  /** Bumped when the JSON shape changes incompatibly. */
  planVersion: typeof PLAN_VERSION;
  playbook: { name: string; file: string; description?: string };
  inventory: string;
  inputs: PlanInputs;
  /** Host names per batch (`serial`); hosts in a batch run at the same time. */
  batches: string[][];
  hosts: H[];
}
