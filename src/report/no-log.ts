// no_log tasks: what they print (and any message that could repeat it) reaches no reporter. The
// plan already hides their commands (their previews); this hides their output as they run.
import { NO_LOG_SHOWN } from '../plan/plan.js';
import type { Plan } from '../plan/plan.js';
import type { Reporter, RunEvent } from './events.js';
import { loopTaskId } from '../plan/loop.js';

/** The ids of the plan's no_log steps (an id is the same task on every host). */
export function noLogTaskIds(plan: Plan): Set<string> {
  return new Set(plan.hosts.flatMap((h) => h.steps.filter((s) => s.noLog).map((s) => s.id)));
}

/** A reporter that sees no output, progress text or message of the given tasks. */
export class NoLogReporter implements Reporter {
  constructor(
    private readonly inner: Reporter,
    private readonly hidden: ReadonlySet<string>,
  ) {}

  onEvent(e: RunEvent): void {
    this.inner.onEvent(this.hide(e));
  }

  private hide(e: RunEvent): RunEvent {
    // A loop's items (3[1], 3[2]) are hidden with their task, even when only run time knows them.
    if (!('taskId' in e) || !this.hidden.has(loopTaskId(e.taskId))) return e;
    if (e.type === 'task_start') return { ...e, preview: [NO_LOG_SHOWN] };
    // Progress of a command is its latest output line; of an upload, its byte counts (kept).
    if (e.type === 'task_progress') return { ...e, message: NO_LOG_SHOWN };
    if (e.type === 'task_end') {
      // A diff shows the file's content, which is what no_log hides.
      const { stdout: _o, stderr: _e, diffs: _d, ...rest } = e;
      return { ...rest, message: e.message === undefined ? undefined : NO_LOG_SHOWN };
    }
    return e;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
