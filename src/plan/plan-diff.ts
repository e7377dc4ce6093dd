// `kplay plan --diff` (and `run --dry-run --diff`): the files that copy and template tasks would
// write, rendered for each host and shown as a diff against nothing, since the dry run reads no
// host. Values only known at run time show as their <...> placeholders, secrets as ********.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TaskSpec } from '../config/model.js';
import { KplayError } from '../errors.js';
import { diffLines, showDiffs } from '../report/diff-format.js';
import type { ShownDiff } from '../report/diff-format.js';
import { DIFF_MAX_BYTES } from '../tasks/file-check.js';
import { HostRenderer, ProblemSink } from './build.js';
import type { SourcedPlan } from './build.js';
import { NO_LOG_SHOWN } from './plan.js';
import type { PlanStep } from './plan.js';

/** A step's file as a dry run shows it. */
export interface PlannedDiff {
  host: string;
  taskId: string;
  name: string;
  diffs: ShownDiff[];
}

/** The content a step would write, from the controller's files and the host's variables. */
type ContentOf = (step: PlanStep, task: TaskSpec, renderer: HostRenderer) => Promise<Buffer>;

const CONTENT: Partial<Record<PlanStep['kind'], ContentOf>> = {
  copy: async (step, task) => {
    const a = step.args as { content?: string; src?: string };
    return a.content !== undefined ? Buffer.from(a.content) : controllerFile(task, a.src!);
  },
  template: async (step, task, renderer) => {
    const src = (step.args as { src: string }).src;
    const file = path.resolve(path.dirname(task.origin.src.absPath), src);
    return Buffer.from(renderer.renderText((await controllerFile(task, src)).toString('utf8'), file, task));
  },
};

async function controllerFile(task: TaskSpec, src: string): Promise<Buffer> {
  const file = path.resolve(path.dirname(task.origin.src.absPath), src);
  try {
    return await readFile(file);
  } catch (e) {
    throw new KplayError('E_IO', `task "${task.name}": cannot read ${file}: ${(e as Error).message}`, { hint: 'Check the path in the task\'s src (it is relative to the file the task is written in).' });
  }
}

/** Every file the plan's copy and template steps would write, per host, as diffs against nothing. */
export async function plannedDiffs(planned: SourcedPlan): Promise<PlannedDiff[]> {
  const { plan, source } = planned;
  const leaders = new Map(plan.batches.flatMap((b) => b.map((n) => [n, b[0]!] as const)));
  const out: PlannedDiff[] = [];
  for (const h of plan.hosts) {
    const renderer = new HostRenderer(source.playbook, source.inventory, source.inventory.hosts.get(h.name)!, source.opts, new ProblemSink());
    // Registers every task's result as a placeholder, so a template that reads one renders.
    renderer.planSteps(leaders.get(h.name) ?? h.name);
    for (const [i, step] of h.steps.entries()) {
      const content = CONTENT[step.kind];
      if (step.action !== 'run' || !content) continue;
      const task = source.playbook.tasks[i]!;
      const diffs = step.noLog ? [{ path: NO_LOG_SHOWN, note: NO_LOG_SHOWN }] : await againstNothing(String((step.args as { dest: unknown }).dest), await content(step, task, renderer));
      out.push({ host: h.name, taskId: step.id, name: step.name, diffs });
    }
  }
  return out;
}

async function againstNothing(dest: string, data: Buffer): Promise<ShownDiff[]> {
  if (data.length > DIFF_MAX_BYTES) return [{ path: dest, note: `${data.length} bytes, too large to show` }];
  // The dry run's output is masked as a whole; the placeholders hold no secret to mask here.
  return showDiffs([{ path: dest, before: null, after: data.toString('utf8') }], (t) => t);
}

/** The diffs under a heading, per host and task, for the text dry run. */
export function formatPlannedDiffs(diffs: readonly PlannedDiff[]): string {
  const out = ['', 'Files as they would be written (--diff; the dry run reads no host, so each is shown against nothing):'];
  if (!diffs.length) out.push('  (no copy or template step)');
  for (const d of diffs) {
    out.push('', `${d.host}  ${d.taskId} ${d.name}`, ...diffLines(d.diffs).map((l) => `  ${l}`));
  }
  return `${out.join('\n')}\n`;
}
