// One host's part of a run: connect, lock, check, run its tasks in order, undo on failure, finish.
// Every method ends in a state the run can read (status, refusals, what is left behind); none
// throws, so one host's trouble never stops another's work or leaves the run waiting.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TaskSpec } from '../config/model.js';
import type { Connection } from '../connection/types.js';
import { ConnectionLost } from '../connection/types.js';
import type { ErrorCode } from '../errors.js';
import type { InventoryHost } from '../inventory/inventory.js';
import { acquireLock, appendHostJournal, hostBackupDir, releaseLock } from '../journal/host-state.js';
import type { HostStateRef } from '../journal/host-state.js';
import type { JournalEntry, RunStore } from '../journal/run-store.js';
import { pendingUndos } from '../journal/run-store.js';
import { undoHost } from '../undo/undo-host.js';
import type { HostRenderer } from '../plan/build.js';
import type { HostPlan, PlanStep } from '../plan/plan.js';
import { emptyRecap } from '../report/events.js';
import type { HostStatus, Recap, UntimedEvent } from '../report/events.js';
import type { TaskContext, UndoContext } from '../tasks/kind.js';
import { TaskFailed } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';
import { asBecomeUser } from '../connection/become-user.js';
import { failureOf } from './failure.js';
import { outputProgress } from '../report/output-progress.js';
import { registered } from './registered.js';
import type { RunOnceResults } from './run-once.js';
import type { CheckMode } from './check-mode.js';
import { TaskRun } from './task-run.js';
import { LoopRun } from './loop-run.js';
import { flatSteps } from '../plan/loop.js';
import type { TaskHost, TaskResult } from './task-run.js';

/** A run's settings, as its hosts see them. */
export interface RunConfig {
  readonly runId: string;
  readonly tasks: readonly TaskSpec[];
  /** The controller, for `local: true` tasks and their undos. */
  readonly local: Connection;
  readonly store: RunStore | undefined;
  readonly force: boolean;
  readonly detach: boolean;
  /** --check and --diff. */
  readonly checkMode: CheckMode;
}

/** What every host of a run shares: the run's settings, its journal, its events, its interrupt. */
export interface RunShared {
  readonly config: RunConfig;
  /** Ctrl-C, or a bug: every host stops at its next step. */
  readonly signal: AbortSignal;
  connect(host: InventoryHost): Promise<Connection>;
  emit(event: UntimedEvent): void;
  nextChange(): number;
  now(): Date;
  /** A bug in kplay: stops every host; the run undoes its changes and exits 1. */
  bug(e: Error, host: string): void;
  /** Set when a failure policy stops every host: each stops at the end of its current task. */
  readonly halted: string | undefined;
  /** A host failed or became unreachable: the failure policy may stop the others. */
  hostFailed(host: string): void;
}

export class HostRun implements TaskHost {
  readonly name: string;
  status: HostStatus = 'ok';
  readonly counts: Recap = emptyRecap();
  holding = false;
  /** Its part has begun (host_start reported). */
  started = false;
  /** Its tasks are over (it may still be rolled back). */
  done = false;
  /** Why the run must not start here; nothing has changed on any host. */
  readonly refusals: string[] = [];
  /** Undos that failed or could not run. */
  readonly leftBehind: string[] = [];
  lost: ConnectionLost | undefined;
  private connection: Connection | undefined;
  private locked = false;
  private finished = false;
  private endCode: ErrorCode | undefined;
  /** Why a failure policy stopped this host before its tasks were done. */
  private stoppedBy: string | undefined;
  /** Where the host's lock, journal and backups go. */
  private readonly state: HostStateRef;

  constructor(
    private readonly run: RunShared,
    readonly plan: HostPlan,
    readonly inv: InventoryHost,
    readonly renderer: HostRenderer,
  ) {
    this.name = plan.name;
    this.state = { become: plan.steps.some((s) => s.become), dir: inv.connection.stateDir };
  }

  private get config(): RunConfig {
    return this.run.config;
  }

  get conn(): Connection {
    return this.connection!;
  }

  get signal(): AbortSignal {
    return this.run.signal;
  }

  get journaling(): boolean {
    return this.config.store !== undefined;
  }

  get checkMode(): CheckMode {
    return this.config.checkMode;
  }

  /** Connected, not lost, not refused: its tasks can run. */
  get ready(): boolean {
    return this.connection !== undefined && !this.lost && this.refusals.length === 0;
  }

  /** Changes of this run on this host that are not undone yet. */
  get changesInPlace(): boolean {
    return (pendingUndos(this.config.store?.entries() ?? []).get(this.name)?.length ?? 0) > 0;
  }

  emit(event: UntimedEvent): void {
    this.run.emit(event);
  }

  nextChange(): number {
    return this.run.nextChange();
  }

  /** Connects, takes the lock and runs the preflight checks: nothing is changed here. */
  async prepare(): Promise<void> {
    this.started = true;
    this.emit({ type: 'host_start', host: this.name, address: this.plan.address });
    if (!(await this.connect())) return;
    try {
      if (await this.lock()) await this.preflight();
    } catch (e) {
      const f = failureOf(e, this.connection, this.name, 'the checks before the run');
      if (f.lost) return this.unreachable(f.lost);
      if (f.bug) this.run.bug(f.bug, this.name);
      // The host answered but kplay cannot keep its state there (permissions, a full disk).
      this.refuse(`${this.name}: ${f.message}`, f.code === 'E_TASK_FAILED' ? 'E_PREFLIGHT' : f.code);
    }
  }

  private async connect(): Promise<boolean> {
    try {
      this.connection = await this.run.connect(this.inv);
      return true;
    } catch (e) {
      const lost = e instanceof ConnectionLost ? e : new ConnectionLost(this.name, `cannot connect: ${e instanceof Error ? e.message : String(e)}`, 'Check the connection settings of this host.');
      this.unreachable(lost);
      return false;
    }
  }

  /** Takes the host's lock; false (with a refusal) when another run, or this one under another name, has it. */
  private async lock(): Promise<boolean> {
    if (!this.config.store) return true;
    const owner = await acquireLock(this.conn, this.state, this.config.runId, { force: this.config.force, host: this.name });
    if (!owner) {
      this.locked = true;
      return true;
    }
    if (owner.runId === this.config.runId) {
      this.refuse(
        `${this.name} is the same machine as ${owner.host ?? 'another host of this run'}: both names lead to one kplay state folder there, and a run must act on a machine once; select only one of them (for example --limit '!${this.name}')`,
        'E_LOCKED',
      );
    } else {
      this.refuse(
        `${this.name} is locked by run ${owner.runId} (from ${owner.controller}, started ${owner.started}): run \`kplay rollback ${owner.runId}\` first, or add --force if that run is really gone`,
        'E_LOCKED',
      );
    }
    return false;
  }

  private async preflight(): Promise<void> {
    const steps = flatSteps(this.plan.steps);
    for (const step of steps) {
      const check = taskKinds[step.kind].preflight;
      if (step.action !== 'run' || step.runtime || !check) continue;
      const refusal = await check({ ...this.context(step), hostSteps: steps }, step.args as never);
      if (refusal) this.refuse(`${this.name}: task "${step.name}": ${refusal}; nothing was changed on any host`, 'E_PREFLIGHT');
    }
  }

  private refuse(message: string, code: ErrorCode): void {
    this.status = 'failed';
    this.endCode ??= code;
    this.refusals.push(message);
  }

  private unreachable(lost: ConnectionLost): void {
    this.lost = lost;
    this.status = 'unreachable';
    this.endCode = 'E_UNREACHABLE';
    this.counts.unreachable = 1;
    this.run.hostFailed(this.name);
  }

  /** Runs the host's tasks in order; a failed task undoes this host's changes and ends its part. */
  async runTasks(leader: string, runOnce: RunOnceResults): Promise<void> {
    const isLeader = leader === this.name;
    try {
      if (!this.ready) return;
      for (const [i, task] of this.config.tasks.entries()) {
        if (this.signal.aborted) break;
        if (this.run.halted) {
          await this.stop(task, this.run.halted);
          break;
        }
        const planned = this.plan.steps[i]!;
        const follower = task.runOnce && !isLeader && planned.reason?.startsWith('run_once');
        const r = follower ? await this.follow(task, planned, leader, runOnce) : await (task.loop ? new LoopRun(this, task, planned, leader) : new TaskRun(this, task, planned, leader)).run();
        if (task.runOnce && isLeader) runOnce.settle(task.id, r.result, r.result.failed && !task.ignoreErrors ? `the run_once task failed on ${leader}` : undefined);
        if (!(await this.afterTask(task, r))) break;
      }
    } catch (e) {
      // Only a bug gets here: every task's failure is a result.
      this.status = 'failed';
      this.run.bug(e instanceof Error ? e : new Error(String(e)), this.name);
    } finally {
      this.done = true;
      // A leader that stops early must not leave its followers waiting.
      if (isLeader) runOnce.abandon(`${leader} stopped before this run_once task`);
    }
  }

  /** A follower keeps the batch leader's result of a run_once task as its own. */
  private async follow(task: TaskSpec, step: PlanStep, leader: string, runOnce: RunOnceResults): Promise<TaskResult> {
    const r = await runOnce.wait(task.id);
    const failed = r instanceof Error;
    const message = failed ? r.message : `run_once: ran on ${leader}`;
    const result = failed ? registered('failed') : r;
    if (!failed && task.register) this.renderer.register(task.register, r);
    this.emit({ type: 'task_end', host: this.name, taskId: step.id, name: step.name, kind: step.kind, status: failed ? 'failed' : 'skipped', ...(failed ? { code: 'E_RUN_ONCE' as const } : {}), message, attempts: 0, durationMs: 0 });
    return failed ? { result, failure: { code: 'E_RUN_ONCE', message, outcome: {} } } : { result: { ...result, status: 'skipped', skipped: true, changed: false } };
  }

  /** Counts a task's result; false when the host's part must end. */
  private async afterTask(task: TaskSpec, r: TaskResult): Promise<boolean> {
    const f = r.failure;
    if (f?.lost) {
      this.unreachable(f.lost);
      return false;
    }
    this.counts[r.result.status]++;
    if (f?.bug) {
      this.status = 'failed';
      this.run.bug(f.bug, this.name);
      return false;
    }
    if (!r.result.failed || task.ignoreErrors) return true;
    this.status = 'failed';
    this.endCode = f?.code;
    // Before its own rollback, so that the others stop as soon as the policy says.
    this.run.hostFailed(this.name);
    // This host's changes are undone now; the others go on unless the failure policy stops them.
    if (!this.signal.aborted) await this.rollback();
    return false;
  }

  /**
   * A failure policy stopped the run before this host's next task: a host left part-way is in a
   * state no playbook describes, so its changes are undone, as a failed host's are.
   */
  private async stop(next: TaskSpec, reason: string): Promise<void> {
    this.status = 'failed';
    this.endCode = 'E_STOPPED';
    this.stoppedBy = `stopped before "${next.name}": ${reason}`;
    await this.rollback();
  }

  /** Undoes what the run changed on this host, newest first (see undoHost). */
  async rollback(): Promise<void> {
    const store = this.config.store;
    if (!store || !this.connection || this.lost) return;
    try {
      const left = await undoHost({
        host: this.name,
        conn: this.conn,
        local: this.config.local,
        entries: store.entries(),
        record: (entry) => this.journal(entry),
        emit: (e) => this.emit(e),
      });
      // A second rollback (at the end of a debug session) meets the same failed undo again.
      this.leftBehind.push(...left.filter((l) => !this.leftBehind.includes(l)));
    } catch (e) {
      this.leftBehind.push(`${this.name}: the rollback stopped: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Closes the host's part: its lock stays only where changes stay behind. Reports its end if it began. */
  async finish(keepChanges: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const keepLock = keepChanges || this.lost !== undefined || this.leftBehind.length > 0;
    if (this.connection && this.locked && !keepLock) await releaseLock(this.conn, this.state, this.config.runId).catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    // A host of a batch that never started (Ctrl-C in a serial run) has no end to report: the recap says "not run".
    if (!this.started) return;
    const message = this.lost?.message ?? this.refusals[0] ?? this.stoppedBy;
    this.emit({ type: 'host_end', host: this.name, status: this.status, ...(this.endCode ? { code: this.endCode } : {}), recap: this.counts, message, hint: this.lost?.hint });
  }

  context(step: PlanStep, task?: TaskSpec): TaskContext {
    const progress = (message: string, done?: number, total?: number) => this.emit({ type: 'task_progress', host: this.name, taskId: step.id, message, done, total });
    return {
      conn: asBecomeUser(step.local ? this.config.local : this.conn, step.becomeUser),
      become: step.become,
      ...(step.becomeUser ? { becomeUser: step.becomeUser } : {}),
      timeoutMs: step.timeoutMs,
      baseDir: task ? path.dirname(task.origin.src.absPath) : process.cwd(),
      renderText: (t, file) => this.renderer.renderText(t, file, task),
      progress,
      onOutput: outputProgress(progress),
      signal: this.signal,
      detached: this.config.detach,
      ...(this.config.store ? { backupDir: this.backupDirOf(step) } : {}),
    };
  }

  undoContext(step: PlanStep, ctx: TaskContext, change: number): UndoContext {
    return { ...ctx, change, taskName: step.name, local: step.local, backupDir: this.backupDirOf(step) };
  }

  /** The run's backup folder for a step: a local task's backups stay on the controller, beside the run's journal. */
  private backupDirOf(step: PlanStep): () => Promise<string> {
    const store = this.config.store!;
    return step.local ? () => localBackupDir(store) : () => hostBackupDir(this.conn, this.state, this.config.runId);
  }

  /** Records a journal line: on the controller first (fsynced), then on the host. */
  async journal(entry: Omit<JournalEntry, 'host' | 'time'>): Promise<void> {
    const store = this.config.store;
    if (!store) return;
    const full: JournalEntry = { ...entry, host: this.name, time: this.run.now().toISOString() };
    try {
      store.append(full);
      await appendHostJournal(this.conn, this.state, this.config.runId, [full]);
    } catch (e) {
      const f = failureOf(e, this.connection, this.name, 'writing the journal');
      if (f.lost || f.bug) throw e;
      // Without its journal line the change is not made: the task fails before it.
      throw new TaskFailed(`cannot write the journal: ${f.message}`, {}, { code: 'E_JOURNAL' });
    }
  }
}

/** The controller's folder for copies of files that local tasks replace. */
async function localBackupDir(store: RunStore): Promise<string> {
  const dir = path.join(store.dir, 'backup');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}
