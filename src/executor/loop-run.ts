// A task with `loop:` on one host: its list, evaluated now with the real results, and one TaskRun
// per item, in order. Each item is a task of its own to the journal (its own change and undo, so a
// rollback undoes the items newest first) and to the reporters (its own start and end); the host
// counts the loop once, with the summary it registers.
import type { TaskSpec } from '../config/model.js';
import { pendingItemStep } from '../plan/loop.js';
import type { PlanStep } from '../plan/plan.js';
import type { TaskStatus } from '../report/events.js';
import { failureOf } from './failure.js';
import type { Failure } from './failure.js';
import { registered } from './registered.js';
import type { RegisteredResult } from './registered.js';
import { TaskRun } from './task-run.js';
import type { TaskHost, TaskResult } from './task-run.js';

/** What a looped task registers: a task's result, with one result per item (each with its item). */
interface LoopResult extends RegisteredResult {
  results: Record<string, unknown>[];
  msg: string;
}

/** The registered summary of a loop's items, as Ansible's: changed or failed when any item was, skipped when all were. */
function loopResult(results: Record<string, unknown>[], statuses: readonly TaskStatus[]): LoopResult {
  const status: TaskStatus = statuses.includes('failed')
    ? 'failed'
    : statuses.includes('changed')
      ? 'changed'
      : statuses.every((s) => s === 'skipped')
        ? 'skipped'
        : 'ok';
  const msg = statuses.length === 0 ? 'No items in the list' : statuses.includes('failed') ? 'One or more items failed' : 'All items completed';
  return { ...registered(status), results, msg };
}

export class LoopRun {
  private readonly results: Record<string, unknown>[] = [];
  private readonly statuses: TaskStatus[] = [];

  constructor(
    private readonly host: TaskHost,
    private readonly task: TaskSpec,
    private readonly planned: PlanStep,
    private readonly leader: string,
  ) {}

  /** Runs the items in order; a failed item ends the loop unless the task ignores errors. Never throws. */
  async run(): Promise<TaskResult> {
    const p = this.planned;
    if (p.action === 'skip') return this.end('skipped', p.reason);
    let items: TaskSpec[];
    try {
      items = this.host.renderer.loopItems(this.task);
    } catch (e) {
      const failure = failureOf(e, this.host.conn, this.host.name, `"${p.name}"`);
      return this.end('failed', failure.message, failure);
    }
    const planned = p.loop?.items?.length === items.length ? p.loop.items : undefined;
    for (const [i, item] of items.entries()) {
      if (this.host.signal.aborted) break;
      const r = await new TaskRun(this.host, item, planned?.[i] ?? pendingItemStep(p, item), this.leader).run();
      this.results.push({ ...r.result, ...item.item });
      this.statuses.push(r.result.status);
      // A lost host or a bug ends the loop at once; a failed item ends it unless errors are ignored
      // (Ansible runs the other items anyway: here they would only be undone with the host).
      if (r.failure && (r.failure.lost || r.failure.bug || !this.task.ignoreErrors)) return this.summary(r.failure);
    }
    return this.summary(undefined);
  }

  /** The loop's result, registered under the task's name for the tasks after it. */
  private summary(failure: Failure | undefined): TaskResult {
    const result = loopResult(this.results, this.statuses);
    if (this.task.register) this.host.renderer.register(this.task.register, result);
    return { result, ...(failure ? { failure } : {}) };
  }

  /** A loop that ends before any item: skipped, or its list could not be had. Reported as the task itself. */
  private end(status: 'skipped' | 'failed', message: string | undefined, failure?: Failure): TaskResult {
    const p = this.planned;
    this.host.emit({
      type: 'task_end',
      host: this.host.name,
      taskId: p.id,
      name: p.name,
      kind: p.kind,
      status,
      ...(failure ? { code: failure.code, ...(failure.pos ? { pos: failure.pos } : {}) } : {}),
      message,
      attempts: 0,
      durationMs: 0,
      ignoredError: (status === 'failed' && this.task.ignoreErrors) || undefined,
    });
    const result: LoopResult = { ...registered(status), results: [], msg: message ?? '' };
    if (this.task.register) this.host.renderer.register(this.task.register, result);
    return { result, ...(failure ? { failure } : {}) };
  }
}
