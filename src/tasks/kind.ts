import type { Task as WrittenTask } from '../config/playbook.generated.js';
import type { Connection } from '../connection/types.js';
import type { UndoSpec } from '../journal/undo-spec.js';

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
  'changed_when',
  'become',
  'local',
  'run_once',
  'vars',
  'tags',
] as const;

/** The task kinds, as the schema defines them (a task has exactly one of these keys). */
export type KindName = Exclude<keyof WrittenTask, (typeof COMMON_KEYS)[number]>;

/** A kind's arguments as written in YAML. */
export type WrittenArgs<K extends KindName> = NonNullable<WrittenTask[K]> | (null extends WrittenTask[K] ? null : never);

/** What each kind contributes to loading and planning; execution comes with the engine. */
export interface KindDef<K extends KindName, A = unknown> {
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
  /** Written arguments to one regular shape (`command: ls` becomes `{cmd: 'ls'}`). */
  normalize(written: WrittenArgs<K>): A;
  /** Lines that show a person exactly what the task would do, from rendered arguments. */
  preview(args: A): string[];
  /** Does the task on a host; kinds without it (planned for later) are refused before a run starts. */
  execute?(ctx: TaskContext, args: A): Promise<TaskOutcome>;
  /**
   * Kinds that undo themselves: called just before the change, it looks at the host and returns
   * the undo to journal (it may refuse, by throwing TaskFailed, before anything changed).
   */
  prepareUndo?(ctx: UndoContext, args: A): Promise<UndoSpec | undefined>;
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

/** What a task gets to work with while it runs. */
export interface TaskContext {
  /** The host (or, for `local: true`, the controller). */
  conn: Connection;
  become: boolean;
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
}

/** A task that failed, with what it printed. */
export class TaskFailed extends Error {
  constructor(
    message: string,
    readonly outcome: Omit<TaskOutcome, 'status'> & { timedOut?: boolean } = {},
  ) {
    super(message);
    this.name = 'TaskFailed';
  }
}

/** A rendered port: a whole number from 1 to 65535. */
export function portProblem(text: string): string | undefined {
  return /^[0-9]+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? undefined : `"${text}" is not a port (a number from 1 to 65535)`;
}
