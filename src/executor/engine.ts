import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Diagnostic } from '../errors.js';
import { ExitCode } from '../errors.js';
import type { TaskSpec } from '../config/model.js';
import type { Connection } from '../connection/types.js';
import { ConnectionLost } from '../connection/types.js';
import type { InventoryHost } from '../inventory/inventory.js';
import { acquireLock, appendHostJournal, hostBackupDir, releaseLock } from '../journal/host-state.js';
import type { HostStateRef } from '../journal/host-state.js';
import type { JournalEntry, RecordedState, RunStore } from '../journal/run-store.js';
import { undoHost } from '../journal/undo-host.js';
import type { UndoSpec } from '../journal/undo-spec.js';
import { HostRenderer, planSource, ProblemSink } from '../plan/build.js';
import type { HostPlan, Plan, PlannedUndo, PlanStep } from '../plan/plan.js';
import type { HostStatus, Recap, Reporter, RunEvent, TaskStatus } from '../report/events.js';
import { outputProgress } from '../report/output-progress.js';
import type { TaskContext, TaskOutcome, UndoContext } from '../tasks/kind.js';
import { TaskFailed } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';

/** The seams a run needs: how to reach hosts, where events and the journal go, when to stop. */
export interface EngineOptions {
  runId: string;
  /** At most this many hosts at once. */
  forks: number;
  reporter: Reporter;
  /** Opens the connection to a host (SSH in production); throws ConnectionLost when it cannot. */
  connect(host: InventoryHost): Promise<Connection>;
  /** The controller, for `local: true` tasks. */
  local: Connection;
  /** Aborting (Ctrl-C) stops every host, then undoes what the run changed. */
  signal?: AbortSignal;
  /** Where changes and their undos are recorded before they are made. */
  store?: RunStore;
  /** Take hosts locked by another run (with a warning). */
  force?: boolean;
  /** End the run with the changes in place; a `hold` returns at once. */
  detach?: boolean;
  now?: () => Date;
}

/** How a run ended. */
export interface RunSummary {
  exitCode: number;
  recap: Record<string, Recap>;
  hosts: Record<string, HostStatus>;
  state: RecordedState;
  /** What could not be undone, one line each. */
  leftBehind: string[];
  /** Why the run did not start, when it refused (locked hosts, existing move targets). */
  refusals: string[];
}

/** What a task leaves for later tasks under its `register` name. */
export interface RegisteredResult {
  status: TaskStatus;
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  rc: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
  value?: unknown;
}

function text(b: Buffer | string | undefined): string {
  return b === undefined ? '' : typeof b === 'string' ? b : b.toString('utf8');
}

/** As Ansible does, stdout loses its final newline, so `{{pid.stdout}}` can go straight into a path. */
function chomp(s: string): string {
  return s.replace(/\r?\n$/, '');
}

function registered(status: TaskStatus, o: Partial<TaskOutcome> = {}): RegisteredResult {
  const stdout = chomp(text(o.stdout));
  return {
    status,
    changed: status === 'changed',
    failed: status === 'failed',
    skipped: status === 'skipped',
    rc: o.rc ?? null,
    stdout,
    stderr: chomp(text(o.stderr)),
    lines: stdout === '' ? [] : stdout.split('\n'),
    ...(o.value !== undefined ? { value: o.value } : {}),
  };
}

function emptyRecap(): Recap {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}

/** An event before the engine stamps its time (Omit distributed over the union). */
type Untimed<E> = E extends unknown ? Omit<E, 'time'> : never;

/** A run_once task's result, shared by the hosts of a batch. */
interface Shared {
  promise: Promise<RegisteredResult>;
  resolve(r: RegisteredResult): void;
  reject(e: Error): void;
}

function shared(): Shared {
  let resolve!: (r: RegisteredResult) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<RegisteredResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** One host's part of a run. */
interface HostRun {
  hp: HostPlan;
  inv: InventoryHost;
  renderer: HostRenderer;
  conn?: Connection;
  lost?: ConnectionLost;
  status: HostStatus;
  counts: Recap;
  /** Where the host's lock, journal and backups go. */
  state: HostStateRef;
  locked: boolean;
  /** Sitting in a `hold`. */
  holding: boolean;
  /** Its tasks are over (it may still be rolled back). */
  done: boolean;
  /** Its host_end has been reported. */
  finished: boolean;
  /** Undos that failed or could not run, when a rollback stopped. */
  leftBehind: string[];
}

/** Whether a step makes a change worth journaling: its kind undoes itself, or the task has a rollback. */
function journaled(step: PlanStep): boolean {
  return Boolean(step.undo) || Boolean(taskKinds[step.kind].prepareUndo);
}

/** The controller's folder for copies of files that local tasks replace. */
async function localBackupDir(store: RunStore): Promise<string> {
  const dir = path.join(store.dir, 'backup');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A user's rollback, as the plan rendered it, in the journal's form. */
function userUndo(u: PlannedUndo): UndoSpec {
  return { name: u.name, kind: u.kind, args: u.args, become: u.become, local: u.local, timeoutMs: u.timeoutMs, userWritten: true, retries: u.retries, delayMs: u.delayMs, ignoreErrors: u.ignoreErrors };
}

/**
 * Runs a plan: batches in order, hosts of a batch at once (up to forks), each host's tasks in
 * order. Every change that has an undo is journaled before it is made; a host whose task fails is
 * rolled back at once; an interrupt rolls back every host; a playbook with a `hold` rolls back
 * when the hold ends, unless the run is detached.
 */
export async function executePlan(plan: Plan, opts: EngineOptions): Promise<RunSummary> {
  const started = performance.now();
  const now = opts.now ?? (() => new Date());
  const emit = (e: Untimed<RunEvent>): void => opts.reporter.onEvent({ ...e, time: now().toISOString() } as RunEvent);
  const src = planSource(plan);
  const signal = opts.signal ?? new AbortController().signal;
  // Every host's running task listens to the one interrupt signal.
  setMaxListeners(0, signal);
  const store = opts.store;
  let nextChange = store?.nextChange() ?? 1;
  const limit = pLimit(Math.max(1, opts.forks));
  const debugSession = plan.hosts.some((h) => h.steps.some((s) => s.kind === 'hold' && s.action === 'run'));

  const hosts = new Map<string, HostRun>(
    plan.hosts.map((hp) => {
      const inv = src.inventory.hosts.get(hp.name)!;
      return [
        hp.name,
        {
          hp,
          inv,
          renderer: new HostRenderer(src.playbook, src.inventory, inv, src.opts, new ProblemSink()),
          status: 'ok',
          counts: emptyRecap(),
          state: { become: hp.steps.some((s) => s.become), dir: inv.connection.stateDir },
          locked: false,
          holding: false,
          done: false,
          finished: false,
          leftBehind: [],
        },
      ];
    }),
  );
  // Ctrl-C while every running host sits in a hold is the end of a debug session, not an accident.
  let released = false;
  signal.addEventListener('abort', () => {
    const active = [...hosts.values()].filter((h) => h.conn && !h.done);
    released = active.length > 0 && active.every((h) => h.holding);
  });

  emit({ type: 'run_start', runId: opts.runId, playbook: plan.playbook.name, file: plan.playbook.file, hosts: plan.hosts.map((h) => h.name) });

  const refusals: string[] = [];
  for (const batch of plan.batches) {
    if (signal.aborted) break;
    const runs = batch.map((n) => hosts.get(n)!);
    await Promise.all(runs.map((h) => limit(() => prepareHost(h))));
    refusals.push(...runs.flatMap((h) => (h.status === 'failed' && !h.lost ? h.leftBehind.splice(0) : [])));
    if (refusals.length) {
      // Nothing has changed anywhere yet: give back the locks and stop.
      await Promise.all(runs.map((h) => limit(() => finishHost(h, 'refused'))));
      break;
    }
    const runOnce = new Map<string, Shared>();
    await Promise.all(runs.map((h) => limit(() => runHost(h, batch[0]!, runOnce))));
  }

  const interrupted = signal.aborted && !released;
  const all = [...hosts.values()];
  if (!refusals.length && !opts.detach && (interrupted || released || debugSession)) {
    await Promise.all(all.filter((h) => h.conn && !h.lost).map((h) => limit(() => rollbackHost(h))));
  }
  const leftBehind = all.flatMap((h) => h.leftBehind);
  const state: RecordedState = refusals.length
    ? 'refused'
    : opts.detach
      ? 'detached'
      : leftBehind.length
        ? 'rollback_incomplete'
        : all.some((h) => h.lost)
          ? 'host_lost'
          : interrupted || released || debugSession
            ? 'rolled_back'
            : 'committed';
  await Promise.all(all.map((h) => limit(() => finishHost(h, state))));

  const recap = Object.fromEntries(all.map((h) => [h.hp.name, h.counts]));
  const statuses = Object.fromEntries(all.map((h) => [h.hp.name, h.status]));
  const exitCode = refusals.length
    ? ExitCode.invalidInput
    : leftBehind.length
      ? ExitCode.rollbackIncomplete
      : interrupted
        ? ExitCode.interrupted
        : all.some((h) => h.status === 'unreachable')
          ? ExitCode.unreachable
          : all.some((h) => h.status === 'failed')
            ? ExitCode.taskFailed
            : ExitCode.ok;
  store?.setState(state);
  emit({ type: 'run_end', runId: opts.runId, exitCode, durationMs: Math.round(performance.now() - started), recap });
  await opts.reporter.close();
  return { exitCode, recap, hosts: statuses, state, leftBehind, refusals };

  /** Connects, takes the lock and runs the preflight checks: nothing is changed here. */
  async function prepareHost(h: HostRun): Promise<void> {
    emit({ type: 'host_start', host: h.hp.name, address: h.hp.address });
    try {
      h.conn = await opts.connect(h.inv);
    } catch (e) {
      if (!(e instanceof ConnectionLost)) throw e;
      h.lost = e;
      h.status = 'unreachable';
      h.counts.unreachable = 1;
      return;
    }
    try {
      if (store) {
        const owner = await acquireLock(h.conn, h.state, opts.runId, Boolean(opts.force));
        if (owner) {
          h.status = 'failed';
          h.leftBehind.push(
            `${h.hp.name} is locked by run ${owner.runId} (from ${owner.controller}, started ${owner.started}): run \`kplay rollback ${owner.runId}\` first, or add --force if that run is really gone`,
          );
          return;
        }
        h.locked = true;
      }
      for (const step of h.hp.steps) {
        const check = taskKinds[step.kind].preflight;
        if (step.action !== 'run' || step.runtime || !check) continue;
        const refusal = await check({ ...taskContext(h, step, h.conn), hostSteps: h.hp.steps }, step.args as never);
        if (refusal) {
          h.status = 'failed';
          h.leftBehind.push(`${h.hp.name}: task "${step.name}": ${refusal}; nothing was changed on any host`);
        }
      }
    } catch (e) {
      if (e instanceof ConnectionLost) {
        h.lost = e;
        h.status = 'unreachable';
        h.counts.unreachable = 1;
        return;
      }
      // The host answered but kplay cannot keep its state there (permissions, a full disk).
      h.status = 'failed';
      h.leftBehind.push(`${h.hp.name}: ${(e as Error).message}`);
    }
  }

  /** Closes a host's part: its lock stays only where changes stay behind unfinished. */
  async function finishHost(h: HostRun, state: RecordedState | 'refused'): Promise<void> {
    if (h.finished) return;
    h.finished = true;
    const keepLock = state === 'detached' || h.lost !== undefined || h.leftBehind.length > 0;
    if (h.conn && h.locked && !keepLock) await releaseLock(h.conn, h.state, opts.runId).catch(() => undefined);
    await h.conn?.close().catch(() => undefined);
    const message = h.lost?.message ?? (state === 'refused' ? h.leftBehind[0] : undefined);
    emit({ type: 'host_end', host: h.hp.name, status: h.status, recap: h.counts, message, hint: h.lost?.hint });
  }

  function taskContext(h: HostRun, step: PlanStep, conn: Connection, task?: TaskSpec): TaskContext {
    const progress = (message: string, done?: number, total?: number) => emit({ type: 'task_progress', host: h.hp.name, taskId: step.id, message, done, total });
    return {
      conn: step.local ? opts.local : conn,
      become: step.become,
      timeoutMs: step.timeoutMs,
      baseDir: task ? path.dirname(task.origin.src.absPath) : process.cwd(),
      renderText: (t, file) => h.renderer.renderText(t, file),
      progress,
      onOutput: outputProgress(progress),
      signal,
      detached: opts.detach,
    };
  }

  async function journal(h: HostRun, entry: Omit<JournalEntry, 'host' | 'time'>): Promise<void> {
    if (!store) return;
    const full: JournalEntry = { ...entry, host: h.hp.name, time: now().toISOString() };
    store.append(full); // fsynced on the controller first
    try {
      await appendHostJournal(h.conn!, h.state, opts.runId, [full]);
    } catch (e) {
      if (e instanceof ConnectionLost) throw e;
      throw new TaskFailed((e as Error).message);
    }
  }

  async function runHost(h: HostRun, leader: string, runOnce: Map<string, Shared>): Promise<void> {
    const isLeader = leader === h.hp.name;
    try {
      if (!h.conn || h.lost) return;
      for (const [i, task] of src.playbook.tasks.entries()) {
        if (signal.aborted) break;
        const planned = h.hp.steps[i]!;
        if (task.runOnce && !isLeader && planned.reason?.startsWith('run_once')) {
          // Followers wait for the batch leader's result and keep it as their own.
          const r = await (runOnce.get(task.id) ?? setShared(runOnce, task.id)).promise.catch((e: Error) => e);
          if (r instanceof Error) {
            h.status = 'failed';
            h.counts.failed++;
            endTask(h.hp.name, planned, 'failed', { message: r.message, attempts: 0, durationMs: 0 });
            break;
          }
          if (task.register) h.renderer.register(task.register, r);
          h.counts.skipped++;
          endTask(h.hp.name, planned, 'skipped', { message: `run_once: ran on ${leader}`, attempts: 0, durationMs: 0 });
          continue;
        }
        const outcome = await runTask(h, task, planned, leader);
        if (task.runOnce && isLeader) {
          const s = runOnce.get(task.id) ?? setShared(runOnce, task.id);
          if (outcome.result.failed && !task.ignoreErrors) s.reject(new Error(`run_once task failed on ${leader}`));
          else s.resolve(outcome.result);
        }
        if (outcome.lost) {
          h.lost = outcome.lost;
          h.status = 'unreachable';
          h.counts.unreachable = 1;
          break;
        }
        h.counts[outcome.result.status]++;
        if (outcome.result.failed && !task.ignoreErrors) {
          h.status = 'failed';
          // Only this host's changes are undone; the other hosts go on.
          if (!signal.aborted) await rollbackHost(h);
          break;
        }
      }
    } finally {
      h.done = true;
      // A leader that stops early must not leave its followers waiting.
      if (isLeader) for (const s of runOnce.values()) s.reject(new Error(`${leader} stopped before this run_once task`));
    }
  }

  /** Undoes what the run changed on a host, newest first (see undoHost). */
  async function rollbackHost(h: HostRun): Promise<void> {
    if (!store || !h.conn) return;
    h.leftBehind.push(
      ...(await undoHost({
        host: h.hp.name,
        conn: h.conn,
        local: opts.local,
        entries: store.entries(),
        record: (entry) => journal(h, entry),
        emit,
      })),
    );
  }

  function setShared(map: Map<string, Shared>, key: string): Shared {
    const s = shared();
    map.set(key, s);
    return s;
  }

  function endTask(
    host: string,
    step: PlanStep,
    status: TaskStatus,
    extra: { message?: string; attempts: number; durationMs: number; rc?: number | null; signal?: string; timedOut?: boolean; stdout?: string; stderr?: string; ignoredError?: boolean },
  ): void {
    emit({ type: 'task_end', host, taskId: step.id, name: step.name, kind: step.kind, status, ...extra, durationMs: Math.round(extra.durationMs) });
  }

  async function runTask(h: HostRun, task: TaskSpec, planned: PlanStep, leader: string): Promise<{ result: RegisteredResult; lost?: ConnectionLost }> {
    const conn = h.conn!;
    const finish = (status: TaskStatus, o: Partial<TaskOutcome>, extra: Parameters<typeof endTask>[3]) => {
      const result = registered(status, o);
      if (task.register) h.renderer.register(task.register, result);
      endTask(h.hp.name, planned, status, { ...extra, rc: o.rc, signal: o.signal, stdout: result.stdout, stderr: result.stderr });
      return { result };
    };

    // Steps that read registered results are rendered again, now with the real values.
    let step = planned;
    if (planned.runtime || planned.runtimeWhen.length || planned.undo?.runtime) {
      const sink = new ProblemSink();
      step = h.renderer.step(task, leader, false, sink);
      const problems: Diagnostic[] = [];
      sink.flush(problems, 1);
      if (problems.length) {
        const p = problems[0]!;
        return finish('failed', {}, { message: `${p.pos ? `${p.pos.file}:${p.pos.line}:${p.pos.col}: ` : ''}${p.message}`, attempts: 0, durationMs: 0 });
      }
    }
    if (step.action === 'skip') return finish('skipped', {}, { message: step.reason, attempts: 0, durationMs: 0 });

    emit({ type: 'task_start', host: h.hp.name, taskId: step.id, name: step.name, kind: step.kind, preview: step.preview });
    const kind = taskKinds[step.kind];
    const started = performance.now();
    const ctx = taskContext(h, step, conn, task);
    const lostOf = (e: unknown): ConnectionLost | undefined =>
      e instanceof ConnectionLost
        ? e
        : !(e instanceof TaskFailed) && (conn as { lost?: string }).lost
          ? new ConnectionLost(h.hp.name, `connection lost during "${step.name}": ${(e as Error).message}`)
          : undefined;

    // Journal the intent (with its undo) before the change.
    let change: number | undefined;
    if (store && journaled(step)) {
      const number = nextChange++;
      try {
        // A local task's backups stay on the controller, beside the run's journal.
        const backupDir = step.local ? () => localBackupDir(store) : () => hostBackupDir(conn, h.state, opts.runId);
        const undoCtx: UndoContext = { ...ctx, change: number, taskName: step.name, local: step.local, backupDir };
        const own = step.undo ? undefined : await kind.prepareUndo?.(undoCtx, step.args as never);
        // A kind may find nothing to undo (a copy without backup): then there is nothing to journal.
        if (own || step.undo) {
          change = number;
          const spec = own ?? (step.undo && !step.undo.runtime ? userUndo(step.undo) : undefined);
          await journal(h, { change, taskId: step.id, task: step.name, phase: 'intent', undo: spec });
        }
      } catch (e) {
        const lost = lostOf(e);
        if (lost) {
          finish('failed', {}, { message: lost.message, attempts: 0, durationMs: performance.now() - started });
          return { result: registered('failed'), lost };
        }
        if (!(e instanceof TaskFailed)) throw e;
        return finish('failed', e.outcome, { message: e.message, attempts: 0, durationMs: performance.now() - started });
      }
    }

    let attempts = 0;
    let last: { ok: TaskOutcome } | { failed: TaskFailed };
    let result: { result: RegisteredResult; lost?: ConnectionLost } | undefined;
    for (;;) {
      attempts++;
      h.holding = step.kind === 'hold';
      try {
        last = { ok: await kind.execute!(ctx, step.args as never) };
      } catch (e) {
        const lost = lostOf(e);
        if (lost) {
          finish('failed', {}, { message: lost.message, attempts, durationMs: performance.now() - started });
          return { result: registered('failed'), lost };
        }
        if (!(e instanceof TaskFailed)) throw e;
        last = { failed: e };
      }
      h.holding = false;
      const o = 'ok' in last ? last.ok : { ...last.failed.outcome, status: 'changed' as const };
      let done = 'ok' in last;
      if (task.until !== undefined) {
        try {
          done = h.renderer.until(task, registered('ok' in last ? last.ok.status : 'failed', o));
        } catch (e) {
          result = finish('failed', o, { message: (e as Error).message, attempts, durationMs: performance.now() - started });
          break;
        }
      }
      if (done) {
        const status = 'ok' in last && (last.ok.status === 'ok' || !task.reportsChanges) ? 'ok' : 'changed';
        result = finish(status, o, { message: 'ok' in last ? last.ok.message : undefined, attempts, durationMs: performance.now() - started });
        break;
      }
      if (attempts > step.retries || signal.aborted) {
        const why = 'failed' in last ? last.failed.message : `until ${task.until} is still false`;
        const f = 'failed' in last ? last.failed.outcome : o;
        result = finish('failed', f, {
          message: attempts > 1 ? `${why} (after ${attempts} attempts)` : why,
          attempts,
          durationMs: performance.now() - started,
          timedOut: 'failed' in last ? last.failed.outcome.timedOut : undefined,
          ignoredError: task.ignoreErrors || undefined,
        });
        break;
      }
      ctx.progress(`attempt ${attempts} of ${step.retries + 1} did not succeed; retrying in ${step.delayMs / 1000}s`);
      await sleep(step.delayMs, undefined, { signal }).catch(() => undefined);
    }

    if (change !== undefined) {
      // A rollback that reads the task's own result is rendered now that the result exists.
      let undo: UndoSpec | undefined;
      if (step.undo?.runtime && !result.result.failed) {
        const again = h.renderer.step(task, leader, false);
        if (again.undo) undo = userUndo(again.undo);
      }
      await journal(h, { change, taskId: step.id, task: step.name, phase: result.result.failed ? 'failed' : 'done', undo }).catch((e) => {
        const lost = lostOf(e);
        if (lost) result = { ...result!, lost };
      });
    }
    return result;
  }
}
