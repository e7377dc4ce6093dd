import type { ErrorCode, SourcePos } from '../errors.js';
import type { Task as WrittenTask } from '../config/playbook.generated.js';
import type { Connection } from '../connection/types.js';

/** Keys every task accepts besides its kind. */
export const COMMON_KEYS = [
  'name',
  'when',
  'register',
  'rollback',
  'timeout',
  'retries',
  'delay',
  'until',
  'ignore_errors',
  'no_log',
  'changed_when',
  'failed_when',
  'become',
  'become_user',
  'local',
  'run_once',
  'vars',
  'tags',
  'check_mode',
  'loop',
  'loop_control',
  'rollback_after',
] as const;

/** The task kinds, as the schema defines them (a task has exactly one of these keys). */
export type KindName = Exclude<keyof WrittenTask, (typeof COMMON_KEYS)[number]>;

/** A kind's arguments as written in YAML. */
export type WrittenArgs<K extends KindName> = NonNullable<WrittenTask[K]> | (null extends WrittenTask[K] ? null : never);

/**
 * What each kind contributes to loading and planning; execution comes with the engine. `U` is the
 * undo its prepareUndo journals (one of the undo actions it owns), so the compiler checks that
 * the arguments it records are the ones that action's script reads.
 */
export interface KindDef<K extends KindName, A = unknown, U extends OwnUndo<string, unknown> = never> {
  readonly kind: K;
  /** Whether the task can change the host (dry-run says "would change"; the journal records it). */
  readonly changes: boolean;
  /** Argument fields (dotted paths) rendered as shell text: `{{x}}` is quoted there. Others are rendered as plain text. */
  readonly shellFields: readonly string[];
  /**
   * Checks of argument fields (dotted paths) whose templates must render to a particular form
   * (a port number): a message is reported at the field, before anything runs.
   */
  readonly renderedChecks?: Readonly<Record<string, (text: string) => string | undefined>>;
  /**
   * The argument field naming a template file (relative to the task's own file) that the task
   * renders with the host's variables: the plan renders it too, so its mistakes stop the run
   * before anything changes.
   */
  readonly templateFile?: string;
  /**
   * Argument fields (dotted paths, list indexes left out) that hold conditions in the `when`
   * language, each `{ expr, holds }`: the plan evaluates `expr` with the host's values and sets
   * `holds` (null while only run time can tell), so the kind itself reads plain answers.
   */
  readonly conditionFields?: readonly string[];
  /**
   * Variables the task sets for the later tasks on its host (set_fact), from its rendered
   * arguments; the plan shows later tasks these values, and the run sets them from the outcome's `facts`.
   */
  plannedFacts?(args: A): Record<string, unknown>;
  /** Written arguments to one regular shape (`command: ls` becomes `{cmd: 'ls'}`). */
  normalize(written: WrittenArgs<K>): A;
  /** Lines that show a person exactly what the task would do, from rendered arguments. */
  preview(args: A): string[];
  /** Does the task on a host; kinds without it (planned for later) are refused before a run starts. */
  execute?(ctx: TaskContext, args: A): Promise<TaskOutcome>;
  /**
   * `kplay run --check`: what the task would do on this host, found by looking only (nothing on the
   * host changes). A kind that changes hosts without it is skipped under --check and reported as
   * "would run". File-writing kinds give the file's content before and after, for --diff.
   */
  check?(ctx: TaskContext, args: A): Promise<CheckOutcome>;
  /**
   * Kinds that undo themselves: called just before the change, it looks at the host and returns
   * the undo to journal (it may refuse, by throwing TaskFailed, before anything changed).
   */
  prepareUndo?(ctx: UndoContext, args: A): Promise<U | undefined>;
  /** Checked on every host before the run changes anything anywhere; a message refuses the run. */
  preflight?(ctx: PreflightContext, args: A): Promise<string | undefined>;
}

/** Another step of the same host's plan, as a preflight check sees it (a PlanStep fits). */
export interface PlannedStepView {
  name: string;
  kind: KindName;
  action: 'run' | 'skip';
  local: boolean;
  args: unknown;
}

/** What a preflight check gets: the task's context, and what else the host's plan will do. */
export interface PreflightContext extends TaskContext {
  /** Every step planned for this host: a check may depend on what another step will start. */
  hostSteps?: readonly PlannedStepView[];
}

/** What prepareUndo gets besides the task context. */
export interface UndoContext extends TaskContext {
  /** A folder on the host for copies of files the change replaces (kept until rolled back). */
  backupDir(): Promise<string>;
  /** The change's number in the journal, to name backups uniquely. */
  change: number;
  /** The task's own name, for the undo's name. */
  taskName: string;
  /** The task runs on the controller (`local: true`), and so must its undo. */
  local: boolean;
}

/** How an undo is asked to run. */
export interface UndoOptions {
  /** `kplay rollback --force`: undo even what changed since kplay made it (keeping what it replaces). */
  force: boolean;
}

/**
 * An undo that a kind carries for itself, by name: the shell that performs it and the paths it
 * touches. The script looks at the real state first, so it is right whether the change happened
 * or not, and running it twice does nothing the second time. Exit 0 prints what it did; any other
 * exit says on stderr why it refused.
 */
export interface UndoAction<N extends string, A> {
  readonly kind: N;
  script(args: A, opts: UndoOptions): string;
  /** The host's paths it changes, to tell when a newer run changed them too (none for a process). */
  paths(args: A): string[];
}

/** A kind's own undo, as the journal keeps it: the action's name and its arguments, with how to run it. */
export interface OwnUndo<N extends string, A> {
  /** Shown while it runs. */
  name: string;
  kind: N;
  args: A;
  become: boolean;
  /** With become: the user other than root it runs as. */
  becomeUser?: string;
  local: boolean;
  timeoutMs: number;
  userWritten: false;
}

/** The journal entry of an undo action with its arguments, run as the task that prepares it runs. */
export function ownUndo<N extends string, A>(action: UndoAction<N, A>, ctx: UndoContext, name: string, args: A, timeoutMs = ctx.timeoutMs): OwnUndo<N, A> {
  return { name, kind: action.kind, args, become: ctx.become, ...(ctx.becomeUser ? { becomeUser: ctx.becomeUser } : {}), local: ctx.local, timeoutMs, userWritten: false };
}

/** The SHA-256 of a file's text in shell: the one way every undo compares what it finds. */
export function sha256Of(quotedPath: string): string {
  return `sha256sum -- ${quotedPath} | cut -d' ' -f1`;
}

/** What a task gets to work with while it runs. */
export interface TaskContext {
  /** The host (or, for `local: true`, the controller). */
  conn: Connection;
  become: boolean;
  /** With become: the user other than root that `conn` acts as (become_user); its undo acts as that user too. */
  becomeUser?: string;
  timeoutMs: number;
  /** Folder of the file the task is written in: `src` paths are relative to it. */
  baseDir: string;
  /** Renders a template file's text with the host's variables (the `template` kind). */
  renderText(text: string, file: string): string;
  /** Reports progress of a long task (large uploads, polling). */
  progress(message: string, done?: number, total?: number): void;
  /** Live output, for -v. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Stops waits early when the run is interrupted. */
  signal: AbortSignal;
  /** --detach: a `hold` returns at once and leaves the changes in place. */
  detached?: boolean;
  /**
   * The run's backup folder on the host (on the controller for `local: true`), for a change that
   * sets something aside (file's state: absent); absent when the run keeps no journal.
   */
  backupDir?(): Promise<string>;
}

/** A file as --check finds it and as the task would leave it (null: absent). */
export interface FileDiff {
  /** The path on the host (or the controller, for `local: true`). */
  path: string;
  before: string | null;
  after: string | null;
  /** Said instead of a text diff: binary content, a mode or owner change, a link target. */
  note?: string;
}

/** What --check found a task would do: `changed` when it would change something. */
export interface CheckOutcome {
  status: 'ok' | 'changed';
  /** One line: "would write /etc/x (3 lines changed)", "already as wanted". */
  message: string;
  diffs?: FileDiff[];
}

/** How a task ended when it did not fail. */
export interface TaskOutcome {
  status: 'ok' | 'changed';
  rc?: number | null;
  signal?: string;
  stdout?: Buffer | string;
  stderr?: Buffer | string;
  /** The parsed value a `read` registers. */
  value?: unknown;
  message?: string;
  /** Variables the task sets for the later tasks on its host (set_fact). */
  facts?: Record<string, unknown>;
}

/** A task that failed, with what it printed, a stable code and, where a file is to blame, its place. */
export class TaskFailed extends Error {
  readonly code: ErrorCode;
  readonly pos: SourcePos | undefined;

  constructor(
    message: string,
    readonly outcome: Omit<TaskOutcome, 'status'> & { timedOut?: boolean } = {},
    opts: { code?: ErrorCode; pos?: SourcePos } = {},
  ) {
    super(message);
    this.name = 'TaskFailed';
    this.code = opts.code ?? (outcome.timedOut ? 'E_TIMEOUT' : 'E_TASK_FAILED');
    this.pos = opts.pos;
  }
}

/** TaskFailed options of a file that could not be read or written, on a host or the controller. */
export const IO = { code: 'E_IO' } as const;

/** A rendered port: a whole number from 1 to 65535. */
export function portProblem(text: string): string | undefined {
  return /^[0-9]+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? undefined : `"${text}" is not a port (a number from 1 to 65535)`;
}
