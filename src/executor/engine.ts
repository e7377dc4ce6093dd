// The engine's entry point: a plan and its seams in, a summary out. The work is done by Run (the
// batches and the end of the run), HostRun (one host's part) and TaskRun (one task's life).
import { planSource } from '../plan/build.js';
import type { Plan } from '../plan/plan.js';
import { Run } from './run.js';
import type { EngineOptions, RunSummary } from './run.js';

export type { EngineOptions, LostHost, RunSummary } from './run.js';
export type { RegisteredResult } from './registered.js';

/**
 * Runs a plan: batches in order, hosts of a batch at once (up to forks), each host's tasks in
 * order. Every change that has an undo is journaled before it is made; a host whose task fails is
 * rolled back at once; an interrupt or a bug in kplay rolls back every host; a playbook with a
 * `hold` rolls back when the hold ends, unless the run is detached. Never rejects.
 */
export function executePlan(plan: Plan, opts: EngineOptions): Promise<RunSummary> {
  return new Run(plan, planSource(plan), opts).execute();
}
