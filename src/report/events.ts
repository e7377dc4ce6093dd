// What happens during a run, as data. Every reporter (listr2 on a terminal, plain lines, NDJSON)
// formats these and nothing else; `--output json` prints them one per line, and their shape is
// part of kplay's interface (see README, "Events").
import type { ErrorCode, SourcePos } from '../errors.js';

/** How a task ended on a host. */
export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

/** How a host's run ended. */
export type HostStatus = 'ok' | 'failed' | 'unreachable';

/** Counts per host, as the recap shows them. */
export interface Recap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
}

interface Base {
  /** ISO 8601 time the event happened. */
  time: string;
}

export interface RunStartEvent extends Base {
  type: 'run_start';
  runId: string;
  playbook: string;
  file: string;
  hosts: string[];
  /** The playbook's description: what it does, to the cluster too, said before it happens. */
  description?: string;
  /** `--check`: nothing that changes a host runs; "changed" means "would change". */
  check?: true;
  /** `--diff`: task_end events of file-writing tasks carry `diffs`. */
  diff?: true;
}

export interface HostStartEvent extends Base {
  type: 'host_start';
  host: string;
  address: string;
}

export interface TaskStartEvent extends Base {
  type: 'task_start';
  host: string;
  taskId: string;
  name: string;
  kind: string;
  /** What runs, as the plan showed it (redacted). */
  preview: string[];
}

export interface TaskProgressEvent extends Base {
  type: 'task_progress';
  host: string;
  taskId: string;
  /** Human-readable progress, e.g. "12.0 of 96.5 MiB" or "attempt 2 of 5". */
  message: string;
  done?: number;
  total?: number;
}

export interface TaskEndEvent extends Base {
  type: 'task_end';
  host: string;
  taskId: string;
  name: string;
  kind: string;
  status: TaskStatus;
  /** Why it was skipped, or why it failed, in one line. */
  message?: string;
  rc?: number | null;
  signal?: string;
  timedOut?: boolean;
  stdout?: string;
  stderr?: string;
  attempts: number;
  durationMs: number;
  ignoredError?: boolean;
  /** For a failed task: a stable code (E_TASK_FAILED, E_TIMEOUT, E_IO, E_TEMPLATE, ...). */
  code?: ErrorCode;
  /** For a failure that a file is to blame for: where (a template file's line, say). */
  pos?: SourcePos;
  /**
   * Under --check (or `check_mode: true`): `predicted` when the kind said what it would do without
   * doing it, `would_run` when it was skipped because it would change the host, `ran` when it ran
   * (it only reads, or says `check_mode: false`).
   */
  check?: CheckRole;
  /** With --diff: the files the task changed, or would change, each as a unified diff or a note. */
  diffs?: ShownDiff[];
}

/** A file's change as task_end carries it (--diff): a unified diff, or a note said instead of one. */
export interface ShownDiff {
  /** The path on the host (or on the controller, for `local: true`). */
  path: string;
  /** `--- before: PATH`, `+++ after: PATH` and the hunks (3 lines of context); absent when a note says it all. */
  diff?: string;
  /** Binary content, a file too large to show, a mode or owner change. */
  note?: string;
}

/** How a task took part in a --check run. */
export type CheckRole = 'predicted' | 'would_run' | 'ran';

export interface HostEndEvent extends Base {
  type: 'host_end';
  host: string;
  status: HostStatus;
  recap: Recap;
  /** For unreachable hosts: what went wrong and what to do. */
  message?: string;
  hint?: string;
  /** Why the host's part ended early, as a stable code (E_UNREACHABLE, E_LOCKED, E_PREFLIGHT, ...). */
  code?: ErrorCode;
}

export interface RunEndEvent extends Base {
  type: 'run_end';
  runId: string;
  exitCode: number;
  durationMs: number;
  recap: Record<string, Recap>;
}

/** Every event of a run. */
export type RunEvent = RunStartEvent | HostStartEvent | TaskStartEvent | TaskProgressEvent | TaskEndEvent | HostEndEvent | RunEndEvent;

/** An event before it is stamped with its time (Omit distributed over the union). */
export type UntimedEvent = RunEvent extends infer E ? (E extends unknown ? Omit<E, 'time'> : never) : never;

/** A recap with every count at zero. */
export function emptyRecap(): Recap {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}

/** Receives a run's events in order; `close` flushes whatever it holds. */
export interface Reporter {
  onEvent(event: RunEvent): void;
  close(): Promise<void>;
}
