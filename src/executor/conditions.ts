// changed_when and failed_when, applied to one attempt of a task: they decide, from the task's own
// result, whether it failed and whether it changed something, in place of what the kind said.
import type { TaskSpec } from '../config/model.js';
import type { ErrorCode } from '../errors.js';
import type { TaskOutcome } from '../tasks/kind.js';
import type { Failure } from './failure.js';
import { registered } from './registered.js';

/** One attempt's end: the kind's outcome, or its failure. */
export type Tried = { ok: TaskOutcome } | { failed: Failure };

/** Evaluates conditions against a result (HostRenderer.holds); throws on a mistake in them. */
export type Judge = (conditions: TaskSpec['failedWhen'], result: unknown) => boolean;

// What the task did is unknown or was never tried: no condition on its result can say it succeeded.
const NOT_A_RESULT: ReadonlySet<ErrorCode> = new Set(['E_TIMEOUT', 'E_INTERRUPTED', 'E_JOURNAL', 'E_TEMPLATE', 'E_INTERNAL', 'E_UNREACHABLE']);

/**
 * The attempt as failed_when and changed_when see it. failed_when true fails a task that succeeded
 * (E_FAILED_WHEN, its output kept); false makes a failed one succeed, as a change (it ran). Then
 * changed_when decides whether a success is a change. As Ansible, both read the result failed_when
 * saw: `result.failed` is the kind's own answer.
 */
export function judgeAttempt(task: TaskSpec, tried: Tried, judge: Judge): Tried {
  let now = tried;
  if (task.failedWhen.length && !('failed' in tried && NOT_A_RESULT.has(tried.failed.code))) {
    const result = 'ok' in tried ? registered(tried.ok.status, tried.ok) : registered('failed', tried.failed.outcome);
    const failed = judge(task.failedWhen, result);
    if (failed && 'ok' in tried) {
      const shown = task.failedWhen.map((c) => String(c.expr)).join(' and ');
      const { status: _status, ...outcome } = tried.ok;
      now = { failed: { code: 'E_FAILED_WHEN', message: `failed_when: ${shown} is true`, outcome } };
    } else if (!failed && 'failed' in tried) {
      now = { ok: { ...tried.failed.outcome, status: 'changed' } };
    }
  }
  if (!('ok' in now) || !task.changedWhen.length) return now;
  const changed = judge(task.changedWhen, registered(now.ok.status, now.ok));
  return { ok: { ...now.ok, status: changed ? 'changed' : 'ok' } };
}
