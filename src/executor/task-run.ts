// One task on one host, from rendering to its journaled outcome. Its life is a row of named steps:
// render -> intent (journal the undo before the change) -> attempts (retries, until) -> outcome
// (journal it) -> end (register, report). Whatever goes wrong in any step ends the task as failed,
// with a code; nothing escapes except through the returned result.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskSpec } from '../config/model.js';
import type { Connection } from '../connection/types.js';
import type { Diagnostic } from '../errors.js';
import type { JournalEntry } from '../journal/run-store.js';
import type { UndoSpec } from '../tasks/undos.js';
import type { HostRenderer } from '../plan/build.js';
import { ProblemSink } from '../plan/build.js';
import type { PlannedUndo, PlanStep } from '../plan/plan.js';
import type { TaskStatus, UntimedEvent } from '../report/events.js';
import type { TaskContext, TaskOutcome, UndoContext } from '../tasks/kind.js';
import { TaskFailed } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';
import type { ShownDiff } from '../report/diff-format.js';
import type { CheckRole } from '../report/events.js';
import type { CheckMode } from './check-mode.js';
import { WOULD_RUN } from './check-mode.js';
import type { Failure } from './failure.js';
import { failureOf } from './failure.js';
import { judgeAttempt } from './conditions.js';
import type { Tried } from './conditions.js';
import { registered } from './registered.js';
import type { RegisteredResult } from './registered.js';

/** What a task needs from the host it runs on. */
export interface TaskHost {
  readonly name: string;
  readonly conn: Connection;
  readonly renderer: HostRenderer;
  /** The run's interrupt: Ctrl-C, or a bug that stops every host. */
  readonly signal: AbortSignal;
  /** Whether changes are journaled (a run with a state folder). */
  readonly journaling: boolean;
  /** --check and --diff. */
  readonly checkMode: CheckMode;
  /** Set while the host sits in a `hold`. */
  holding: boolean;
  context(step: PlanStep, task: TaskSpec): TaskContext;
  undoContext(step: PlanStep, ctx: TaskContext, change: number): UndoContext;
  /** The next change number of the run. */
  nextChange(): number;
  journal(entry: Omit<JournalEntry, 'host' | 'time'>): Promise<void>;
  emit(event: UntimedEvent): void;
}

/** How a task ended, for the host that runs it. */
export interface TaskResult {
  result: RegisteredResult;
  /** Why it failed; absent when it did not. */
  failure?: Failure;
}

/** A task's end before it is reported. */
interface Ended {
  status: TaskStatus;
  outcome: Partial<TaskOutcome> & { timedOut?: boolean };
  message?: string;
  failure?: Failure;
}

/** A user's rollback, as the plan rendered it, in the journal's form. */
export function userUndo(u: PlannedUndo): UndoSpec {
  return { name: u.name, kind: u.kind, args: u.args, become: u.become, ...(u.becomeUser ? { becomeUser: u.becomeUser } : {}), local: u.local, timeoutMs: u.timeoutMs, userWritten: true, retries: u.retries, delayMs: u.delayMs, ignoreErrors: u.ignoreErrors, noLog: u.noLog };
}

/** Whether a step makes a change worth journaling: its kind undoes itself, or the task has a rollback. */
function journaled(step: PlanStep): boolean {
  return Boolean(step.undo) || Boolean(taskKinds[step.kind].prepareUndo);
}

export class TaskRun {
  private step: PlanStep;
  private ctx: TaskContext | undefined;
  /** The journal's number for this task's change, once its intent is written. */
  private change: number | undefined;
  private attempts = 0;
  private readonly started = performance.now();
  /** How the task takes part in a --check run (undefined in a plain run). */
  private role: CheckRole | undefined;
  /** --diff: the files the last attempt changed or would change. */
  private diffs: ShownDiff[] | undefined;

  constructor(
    private readonly host: TaskHost,
    private readonly task: TaskSpec,
    planned: PlanStep,
    private readonly leader: string,
  ) {
    this.step = planned;
  }

  /** Runs the task to its end; never throws. */
  async run(): Promise<TaskResult> {
    try {
      this.render();
      if (this.step.action === 'skip') return this.end({ status: 'skipped', outcome: {}, message: this.step.reason });
      const s = this.step;
      this.host.emit({ type: 'task_start', host: this.host.name, taskId: s.id, name: s.name, kind: s.kind, preview: s.preview });
      this.role = this.host.checkMode.role(s, this.task);
      if (this.role === 'would_run') return this.end({ status: 'skipped', outcome: {}, message: WOULD_RUN });
      this.ctx = this.host.context(s, this.task);
      await this.intent();
      const ended = await this.attemptAll();
      // Registered first: a rollback that reads the task's own result is rendered with it.
      this.register(ended);
      await this.outcome(ended.failure);
      return this.end(ended);
    } catch (e) {
      const failure = failureOf(e, this.host.conn, this.host.name, `"${this.step.name}"`);
      // Nothing is known of a change that a bug or a lost connection interrupted: its intent stays
      // open, so a rollback looks at the real state. Any other failure is recorded as such.
      if (!failure.lost && !failure.bug) await this.outcome(failure).catch(() => undefined);
      return this.end({ status: 'failed', outcome: failure.outcome, message: failure.message, failure });
    }
  }

  /** Steps that read registered results are rendered again, now with the real values. */
  private render(): void {
    const p = this.step;
    if (!(p.runtime || p.runtimeWhen.length || p.undo?.runtime)) return;
    const sink = new ProblemSink();
    const step = this.host.renderer.step(this.task, this.leader, false, sink);
    const problems: Diagnostic[] = [];
    sink.flush(problems, 1);
    const first = problems.find((d) => d.severity === 'error');
    if (first) throw new TaskFailed(first.message, {}, { code: first.code, pos: first.pos });
    this.step = step;
  }

  /** Journals what the change will be and how to undo it, before it is made. */
  private async intent(): Promise<void> {
    const s = this.step;
    // A task that only says what it would do changes nothing to undo.
    if (!this.host.journaling || !journaled(s) || this.role === 'predicted') return;
    const number = this.host.nextChange();
    const own = s.undo ? undefined : await taskKinds[s.kind].prepareUndo?.(this.host.undoContext(s, this.ctx!, number), s.args as never);
    // A kind may find nothing to undo (a copy without backup): then there is nothing to journal.
    if (!own && !s.undo) return;
    this.change = number;
    const undo = own ?? (s.undo && !s.undo.runtime ? userUndo(s.undo) : undefined);
    const after = this.task.rollbackAfter;
    await this.host.journal({ change: number, taskId: s.id, task: s.name, phase: 'intent', undo, ...(after ? { undoAfter: after } : {}) });
  }

  /** Tries the task until it succeeds (and `until` holds), its retries run out, or the run stops. */
  private async attemptAll(): Promise<Ended> {
    for (;;) {
      this.attempts++;
      const raw = await this.attempt();
      let tried: Tried;
      try {
        tried = judgeAttempt(this.task, raw, (conds, result) => this.host.renderer.holds(this.task, conds, result));
      } catch (e) {
        const failure = failureOf(e, this.host.conn, this.host.name, 'changed_when/failed_when');
        if (failure.bug) throw e;
        return { status: 'failed', outcome: 'ok' in raw ? raw.ok : raw.failed.outcome, message: failure.message, failure };
      }
      const outcome = 'ok' in tried ? tried.ok : { ...tried.failed.outcome, status: 'changed' as const };
      let done = 'ok' in tried;
      if (this.task.until !== undefined) {
        try {
          done = this.host.renderer.until(this.task, registered('ok' in tried ? tried.ok.status : 'failed', outcome));
        } catch (e) {
          const failure = failureOf(e, this.host.conn, this.host.name, 'until');
          return { status: 'failed', outcome, message: failure.message, failure };
        }
      }
      if (done) {
        const ok = 'ok' in tried ? tried.ok : undefined;
        const status = ok && ok.status === 'ok' ? 'ok' : 'changed';
        return { status, outcome, message: ok?.message };
      }
      if (this.attempts > this.step.retries || this.host.signal.aborted) return this.gaveUp(tried, outcome);
      this.ctx!.progress(`attempt ${this.attempts} of ${this.step.retries + 1} did not succeed; retrying in ${this.step.delayMs / 1000}s`);
      await sleep(this.step.delayMs, undefined, { signal: this.host.signal }).catch(() => undefined);
    }
  }

  /** One try. A failure of the task's own is returned; a lost connection or a bug is thrown on. */
  private async attempt(): Promise<Tried> {
    this.host.holding = this.step.kind === 'hold';
    try {
      const tried = await this.host.checkMode.attempt(this.ctx!, this.step, this.role);
      this.diffs = tried.diffs;
      return { ok: tried.outcome };
    } catch (e) {
      const failure = failureOf(e, this.host.conn, this.host.name, `"${this.step.name}"`);
      if (failure.lost || failure.bug) throw e;
      if (this.host.signal.aborted) failure.code = 'E_INTERRUPTED';
      return { failed: failure };
    } finally {
      this.host.holding = false;
    }
  }

  /** The failure after the last attempt. */
  private gaveUp(tried: Tried, outcome: Partial<TaskOutcome>): Ended {
    const failure: Failure =
      'failed' in tried
        ? tried.failed
        : { code: 'E_UNTIL', message: `until ${this.task.until} is still false`, outcome, pos: undefined };
    const message = this.attempts > 1 ? `${failure.message} (after ${this.attempts} attempts)` : failure.message;
    return { status: 'failed', outcome: 'failed' in tried ? tried.failed.outcome : outcome, message, failure: { ...failure, message } };
  }

  /** Journals whether the change was made; a rollback that reads the task's own result is rendered now. */
  private async outcome(failure: Failure | undefined): Promise<void> {
    if (this.change === undefined) return;
    // A task killed part-way (Ctrl-C, a timeout) may have made its change, or part of it: its
    // intent stays open, so the rollback runs its undo (which, like after a crash, must be harmless
    // where the change did not happen).
    if (failure && (failure.code === 'E_INTERRUPTED' || failure.code === 'E_TIMEOUT')) return;
    const change = this.change;
    // Written once: a failure while writing "done" must not be followed by "failed".
    this.change = undefined;
    let undo: UndoSpec | undefined;
    if (this.step.undo?.runtime && !failure) {
      const again = this.host.renderer.step(this.task, this.leader, false);
      if (again.undo) undo = userUndo(again.undo);
    }
    await this.host.journal({ change, taskId: this.step.id, task: this.step.name, phase: failure ? 'failed' : 'done', undo });
  }

  /** Makes the task's result visible to later tasks (and to its own rollback). */
  private register(e: Ended): void {
    if (this.task.register) this.host.renderer.register(this.task.register, registered(e.status, e.outcome));
    if (e.outcome.facts && !e.failure) this.host.renderer.setFacts(e.outcome.facts);
  }

  /** Registers the result (again, if it failed after the attempts) and reports the task's end. */
  private end(e: Ended): TaskResult {
    const result = registered(e.status, e.outcome);
    this.register(e);
    const s = this.step;
    const f = e.failure;
    this.host.emit({
      type: 'task_end',
      host: this.host.name,
      taskId: s.id,
      name: s.name,
      kind: s.kind,
      status: e.status,
      ...(f ? { code: f.code, ...(f.pos ? { pos: f.pos } : {}) } : {}),
      message: e.message,
      attempts: this.attempts,
      durationMs: Math.round(e.status === 'skipped' ? 0 : performance.now() - this.started),
      rc: e.outcome.rc,
      signal: e.outcome.signal,
      timedOut: e.outcome.timedOut,
      stdout: result.stdout,
      stderr: result.stderr,
      ignoredError: (e.status === 'failed' && this.task.ignoreErrors) || undefined,
      check: this.role,
      diffs: this.diffs,
    });
    return { result, failure: f };
  }
}
