import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Diagnostic } from '../errors.js';
import { ExitCode } from '../errors.js';
import type { TaskSpec } from '../config/model.js';
import type { Connection } from '../connection/types.js';
import { ConnectionLost } from '../connection/types.js';
import type { InventoryHost } from '../inventory/inventory.js';
import { HostRenderer, planSource, ProblemSink } from '../plan/build.js';
import type { HostPlan, Plan, PlanStep } from '../plan/plan.js';
import type { HostStatus, Recap, Reporter, RunEvent, TaskStatus } from '../report/events.js';
import type { TaskContext, TaskOutcome } from '../tasks/kind.js';
import { TaskFailed } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';

/** The seams a run needs: how to reach hosts, where events go, when to stop. */
export interface EngineOptions {
  runId: string;
  /** At most this many hosts at once. */
  forks: number;
  reporter: Reporter;
  /** Opens the connection to a host (SSH in production); throws ConnectionLost when it cannot. */
  connect(host: InventoryHost): Promise<Connection>;
  /** The controller, for `local: true` tasks. */
  local: Connection;
  /** Aborting stops every host after its current task. */
  signal?: AbortSignal;
  verbose?: boolean;
  now?: () => Date;
}

/** How a run ended. */
export interface RunSummary {
  exitCode: number;
  recap: Record<string, Recap>;
  hosts: Record<string, HostStatus>;
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

/** Task kinds this version cannot run yet; a playbook using them is refused before anything starts. */
export function unsupportedKinds(plan: Plan): string[] {
  const kinds = new Set<string>();
  for (const h of plan.hosts) for (const s of h.steps) if (s.action === 'run' && !taskKinds[s.kind].execute) kinds.add(s.kind);
  return [...kinds];
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

/** Exit code by precedence: something unreachable (3) says more than a failed task (2). */
export function exitCodeOf(hosts: Record<string, HostStatus>): number {
  const statuses = Object.values(hosts);
  if (statuses.includes('unreachable')) return ExitCode.unreachable;
  if (statuses.includes('failed')) return ExitCode.taskFailed;
  return ExitCode.ok;
}

/** An event before the engine stamps its time (Omit distributed over the union). */
type Untimed<E> = E extends unknown ? Omit<E, 'time'> : never;

/** A run_once task's result, shared by the hosts of a batch. */
type Shared = { promise: Promise<RegisteredResult>; resolve(r: RegisteredResult): void; reject(e: Error): void };

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

/** Runs a plan on its hosts: batches in order, hosts of a batch at once (up to forks), tasks in order. */
export async function executePlan(plan: Plan, opts: EngineOptions): Promise<RunSummary> {
  const started = performance.now();
  const now = opts.now ?? (() => new Date());
  const emit = (e: Untimed<RunEvent>): void => opts.reporter.onEvent({ ...e, time: now().toISOString() } as RunEvent);
  const src = planSource(plan);
  const recap: Record<string, Recap> = {};
  const statuses: Record<string, HostStatus> = {};
  emit({ type: 'run_start', runId: opts.runId, playbook: plan.playbook.name, file: plan.playbook.file, hosts: plan.hosts.map((h) => h.name) });

  const limit = pLimit(Math.max(1, opts.forks));
  const byName = new Map(plan.hosts.map((h) => [h.name, h]));
  for (const batch of plan.batches) {
    const runOnce = new Map<string, Shared>();
    await Promise.all(
      batch.map((name) =>
        limit(async () => {
          const hp = byName.get(name)!;
          const r = await runHost(hp, batch[0]!, runOnce);
          recap[name] = r.recap;
          statuses[name] = r.status;
        }),
      ),
    );
  }

  const exitCode = exitCodeOf(statuses);
  emit({ type: 'run_end', runId: opts.runId, exitCode, durationMs: Math.round(performance.now() - started), recap });
  await opts.reporter.close();
  return { exitCode, recap, hosts: statuses };

  async function runHost(hp: HostPlan, leader: string, runOnce: Map<string, Shared>): Promise<{ status: HostStatus; recap: Recap }> {
    const invHost = src.inventory.hosts.get(hp.name)!;
    const counts = emptyRecap();
    const renderer = new HostRenderer(src.playbook, src.inventory, invHost, src.opts, new ProblemSink());
    const isLeader = leader === hp.name;
    emit({ type: 'host_start', host: hp.name, address: hp.address });
    let conn: Connection | undefined;
    let status: HostStatus = 'ok';
    let lost: ConnectionLost | undefined;
    try {
      conn = await opts.connect(invHost);
    } catch (e) {
      if (!(e instanceof ConnectionLost)) throw e;
      lost = e;
    }
    try {
      for (const [i, task] of src.playbook.tasks.entries()) {
        if (lost || opts.signal?.aborted) break;
        const planned = hp.steps[i]!;
        const key = task.id;
        if (task.runOnce && !isLeader && planned.reason?.startsWith('run_once')) {
          // Followers wait for the batch leader's result and keep it as their own.
          const r = await (runOnce.get(key) ?? setShared(runOnce, key)).promise.catch((e: Error) => e);
          if (r instanceof Error) {
            status = 'failed';
            counts.failed++;
            endTask(hp.name, planned, 'failed', { message: r.message, attempts: 0, durationMs: 0 });
            break;
          }
          if (task.register) renderer.register(task.register, r);
          counts.skipped++;
          endTask(hp.name, planned, 'skipped', { message: `run_once: ran on ${leader}`, attempts: 0, durationMs: 0 });
          continue;
        }
        const outcome = await runTask(hp, task, planned, renderer, conn!, leader);
        if (task.runOnce && isLeader) {
          const s = runOnce.get(key) ?? setShared(runOnce, key);
          if (outcome.result.failed && !task.ignoreErrors) s.reject(new Error(`run_once task failed on ${leader}`));
          else s.resolve(outcome.result);
        }
        if (outcome.lost) {
          lost = outcome.lost;
          break;
        }
        counts[outcome.result.status]++;
        if (outcome.result.failed && !task.ignoreErrors) {
          status = 'failed';
          break;
        }
      }
    } finally {
      // A leader that stops early must not leave its followers waiting.
      if (isLeader) for (const s of runOnce.values()) s.reject(new Error(`${leader} stopped before this run_once task`));
      await conn?.close().catch(() => undefined);
    }
    if (lost) {
      status = 'unreachable';
      counts.unreachable = 1;
    }
    emit({ type: 'host_end', host: hp.name, status, recap: counts, message: lost?.message, hint: lost?.hint });
    return { status, recap: counts };
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

  async function runTask(
    hp: HostPlan,
    task: TaskSpec,
    planned: PlanStep,
    renderer: HostRenderer,
    conn: Connection,
    leader: string,
  ): Promise<{ result: RegisteredResult; lost?: ConnectionLost }> {
    const finish = (status: TaskStatus, o: Partial<TaskOutcome>, extra: Parameters<typeof endTask>[3]) => {
      const result = registered(status, o);
      if (task.register) renderer.register(task.register, result);
      endTask(hp.name, planned, status, { ...extra, rc: o.rc, signal: o.signal, stdout: result.stdout, stderr: result.stderr });
      return { result };
    };

    // Steps that read registered results are rendered again, now with the real values.
    let step = planned;
    if (planned.runtime || planned.runtimeWhen.length) {
      const sink = new ProblemSink();
      step = renderer.step(task, leader, false, sink);
      const problems: Diagnostic[] = [];
      sink.flush(problems, 1);
      if (problems.length) {
        const p = problems[0]!;
        return finish('failed', {}, { message: `${p.pos ? `${p.pos.file}:${p.pos.line}:${p.pos.col}: ` : ''}${p.message}`, attempts: 0, durationMs: 0 });
      }
    }
    if (step.action === 'skip') return finish('skipped', {}, { message: step.reason, attempts: 0, durationMs: 0 });

    emit({ type: 'task_start', host: hp.name, taskId: step.id, name: step.name, kind: step.kind, preview: step.preview });
    const kind = taskKinds[step.kind];
    const started = performance.now();
    const ctx: TaskContext = {
      conn: step.local ? opts.local : conn,
      become: step.become,
      timeoutMs: step.timeoutMs,
      baseDir: path.dirname(task.origin.src.absPath),
      renderText: (t, file) => renderer.renderText(t, file),
      progress: (message, done, total) => emit({ type: 'task_progress', host: hp.name, taskId: step.id, message, done, total }),
      signal: opts.signal ?? new AbortController().signal,
    };
    let attempts = 0;
    let last: { ok: TaskOutcome } | { failed: TaskFailed };
    for (;;) {
      attempts++;
      try {
        last = { ok: await kind.execute!(ctx, step.args as never) };
      } catch (e) {
        if (e instanceof ConnectionLost || (!(e instanceof TaskFailed) && conn && isLost(conn))) {
          const lostErr = e instanceof ConnectionLost ? e : new ConnectionLost(hp.name, `connection lost during "${step.name}": ${(e as Error).message}`);
          finish('failed', {}, { message: lostErr.message, attempts, durationMs: performance.now() - started });
          return { result: registered('failed'), lost: lostErr };
        }
        if (!(e instanceof TaskFailed)) throw e;
        last = { failed: e };
      }
      const o = 'ok' in last ? last.ok : { ...last.failed.outcome, status: 'changed' as const };
      let done = 'ok' in last;
      if (task.until !== undefined) {
        try {
          done = renderer.until(task, registered('ok' in last ? last.ok.status : 'failed', o));
        } catch (e) {
          return finish('failed', o, { message: (e as Error).message, attempts, durationMs: performance.now() - started });
        }
      }
      if (done) {
        const status = 'ok' in last ? last.ok.status : 'changed';
        return finish(status, o, { message: 'ok' in last ? last.ok.message : undefined, attempts, durationMs: performance.now() - started });
      }
      if (attempts > step.retries || opts.signal?.aborted) {
        const why = 'failed' in last ? last.failed.message : `until ${task.until} is still false`;
        const message = attempts > 1 ? `${why} (after ${attempts} attempts)` : why;
        const f = 'failed' in last ? last.failed.outcome : o;
        return finish('failed', f, {
          message,
          attempts,
          durationMs: performance.now() - started,
          timedOut: 'failed' in last ? last.failed.outcome.timedOut : undefined,
          ignoredError: task.ignoreErrors || undefined,
        });
      }
      ctx.progress(`attempt ${attempts} of ${step.retries + 1} did not succeed; retrying in ${step.delayMs / 1000}s`);
      await sleep(step.delayMs, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

function isLost(conn: Connection): boolean {
  return Boolean((conn as { lost?: string }).lost);
}
