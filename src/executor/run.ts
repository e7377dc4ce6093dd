// A run of a plan: batches in order, the hosts of a batch at once (up to forks), each host's tasks
// in order (see HostRun). At the end, what must be undone is undone, the hosts are closed and the
// run's state and exit code are decided (see runOutcome).
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { ResolvedSecret } from '../config/secrets.js';
import type { Connection } from '../connection/types.js';
import type { InventoryHost } from '../inventory/inventory.js';
import type { RecordedState, RunStore } from '../journal/run-store.js';
import { HostRenderer, ProblemSink } from '../plan/build.js';
import type { PlanSource } from '../plan/build.js';
import type { Plan } from '../plan/plan.js';
import type { HostStatus, Recap, Reporter, RunEvent, UntimedEvent } from '../report/events.js';
import { CheckMode } from './check-mode.js';
import { HostRun } from './host-run.js';
import type { RunConfig, RunShared } from './host-run.js';
import { runOutcome } from './outcome.js';
import { RunOnceResults } from './run-once.js';

/** The seams a run needs: how to reach hosts, where events and the journal go, when to stop. */
export interface EngineOptions {
  runId: string;
  /** What the plan was built from: steps are rendered again from it with real results. */
  source: PlanSource;
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
  /** The secrets (of the playbook and the inventory) its hosts use, read before the run started; steps that use them are rendered with them. */
  secrets?: readonly ResolvedSecret[];
  /** --check: nothing that changes a host runs (give no store: nothing is journaled either). */
  check?: boolean;
  /** --diff: file-writing tasks report the diff of what they change (or would change). */
  diff?: boolean;
}

/** A host that ended unreachable, and whether this run's changes are still in place there. */
export interface LostHost {
  host: string;
  changesInPlace: boolean;
  message: string;
}

/** How a run ended. */
export interface RunSummary {
  exitCode: number;
  recap: Record<string, Recap>;
  hosts: Record<string, HostStatus>;
  state: RecordedState;
  /** What could not be undone, one line each. */
  leftBehind: string[];
  /** Why the run did not start, when it refused (locked hosts, checks that failed). */
  refusals: string[];
  /** Hosts that could not be reached or dropped away. */
  lost: LostHost[];
  /** A bug in kplay that stopped the run (after it undid what it had changed). */
  internalError?: Error;
}

export class Run implements RunShared {
  readonly config: RunConfig;
  readonly signal: AbortSignal;
  private readonly hosts: HostRun[];
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly user: AbortSignal;
  /** Stops every host when kplay itself fails. */
  private readonly stop = new AbortController();
  private readonly started = performance.now();
  private change: number;
  private firstBug: Error | undefined;
  /** Ctrl-C came while every running host sat in a hold: the end of a debug session, not an accident. */
  private released = false;
  private readonly refusals: string[] = [];
  /** Some batch's hosts began their tasks. */
  private tasksBegan = false;
  /** A playbook with a `hold` is a debug session: its changes are undone when it ends. */
  private readonly debugSession: boolean;

  constructor(
    private readonly plan: Plan,
    source: PlanSource,
    private readonly opts: EngineOptions,
  ) {
    this.config = {
      runId: opts.runId,
      tasks: source.playbook.tasks,
      local: opts.local,
      store: opts.store,
      force: Boolean(opts.force),
      detach: Boolean(opts.detach),
      checkMode: new CheckMode(Boolean(opts.check), Boolean(opts.diff), opts.secrets),
    };
    this.user = opts.signal ?? new AbortController().signal;
    this.signal = AbortSignal.any([this.user, this.stop.signal]);
    // Every host's running task listens to the one interrupt signal.
    setMaxListeners(0, this.signal);
    setMaxListeners(0, this.user);
    this.change = this.opts.store?.nextChange() ?? 1;
    this.limit = pLimit(Math.max(1, opts.forks));
    this.debugSession = plan.hosts.some((h) => h.steps.some((s) => s.kind === 'hold' && s.action === 'run'));
    this.hosts = plan.hosts.map((hp) => {
      const inv = source.inventory.hosts.get(hp.name)!;
      return new HostRun(this, hp, inv, new HostRenderer(source.playbook, source.inventory, inv, source.opts, new ProblemSink(), { secrets: opts.secrets }));
    });
    this.user.addEventListener('abort', () => {
      const active = this.hosts.filter((h) => h.ready && !h.done);
      this.released = active.length > 0 && active.every((h) => h.holding);
    });
  }

  connect(host: InventoryHost): Promise<Connection> {
    return this.opts.connect(host);
  }

  emit(e: UntimedEvent): void {
    this.opts.reporter.onEvent({ ...e, time: this.now().toISOString() } as RunEvent);
  }

  now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  nextChange(): number {
    return this.change++;
  }

  bug(e: Error, host: string): void {
    this.firstBug ??= Object.assign(e, { host });
    this.stop.abort();
  }

  /** Runs the plan to its end; resolves with the summary whatever happens on the hosts. */
  async execute(): Promise<RunSummary> {
    const { name, file, description } = this.plan.playbook;
    this.emit({
      type: 'run_start',
      runId: this.opts.runId,
      playbook: name,
      file,
      hosts: this.plan.hosts.map((h) => h.name),
      ...(description ? { description } : {}),
      ...(this.opts.check ? { check: true as const } : {}),
      ...(this.opts.diff ? { diff: true as const } : {}),
    });
    try {
      await this.batches();
    } catch (e) {
      // The hosts' methods do not throw; whatever did is a bug of the run's own.
      this.bug(e instanceof Error ? e : new Error(String(e)), '(run)');
    }
    await this.undoAtEnd();
    return this.end();
  }

  private async batches(): Promise<void> {
    const byName = new Map(this.hosts.map((h) => [h.name, h]));
    for (const names of this.plan.batches) {
      if (this.signal.aborted) break;
      const batch = names.map((n) => byName.get(n)!);
      await this.each(batch, (h) => h.prepare());
      const refused = batch.flatMap((h) => h.refusals);
      if (refused.length) {
        this.refusals.push(...refused);
        break;
      }
      this.tasksBegan = true;
      const runOnce = new RunOnceResults();
      await this.each(batch, (h) => h.runTasks(names[0]!, runOnce));
    }
  }

  private each(hosts: HostRun[], fn: (h: HostRun) => Promise<void>): Promise<unknown> {
    return Promise.all(hosts.map((h) => this.limit(() => fn(h))));
  }

  /** A debug session, an interrupt or a bug undoes every host's changes; a detached run keeps them. */
  private async undoAtEnd(): Promise<void> {
    if (this.refusedBeforeChanges || (this.config.detach && !this.firstBug)) return;
    if (this.user.aborted || this.debugSession || this.firstBug) await this.each(this.hosts, (h) => h.rollback());
  }

  private get refusedBeforeChanges(): boolean {
    return this.refusals.length > 0 && !this.tasksBegan;
  }

  private async end(): Promise<RunSummary> {
    const hosts = this.hosts;
    const leftBehind = hosts.flatMap((h) => h.leftBehind);
    const lost = hosts.filter((h) => h.lost).map((h) => ({ host: h.name, changesInPlace: h.changesInPlace, message: h.lost!.message }));
    const { state, exitCode } = runOutcome({
      refused: this.refusedBeforeChanges,
      refusedLater: this.refusals.length > 0,
      bug: this.firstBug !== undefined,
      detached: this.config.detach,
      interrupted: this.user.aborted && !this.released,
      rolledBack: this.user.aborted || this.debugSession,
      leftBehind: leftBehind.length,
      lostWithChanges: lost.some((l) => l.changesInPlace),
      statuses: hosts.filter((h) => h.started).map((h) => h.status),
    });
    await this.each(hosts, (h) => h.finish(state === 'detached'));
    const recap = Object.fromEntries(hosts.map((h) => [h.name, h.counts]));
    try {
      this.opts.store?.setState(state);
    } catch {
      // A controller that cannot write run.json any more (a full disk) leaves it "running"; once this
      // process is gone `kplay runs` shows it as died, and the journal still says what to undo.
    }
    this.emit({ type: 'run_end', runId: this.opts.runId, exitCode, durationMs: Math.round(performance.now() - this.started), recap });
    await this.opts.reporter.close();
    return {
      exitCode,
      recap,
      hosts: Object.fromEntries(hosts.map((h) => [h.name, h.status])),
      state,
      leftBehind,
      refusals: this.refusals,
      lost,
      ...(this.firstBug ? { internalError: this.firstBug } : {}),
    };
  }
}
