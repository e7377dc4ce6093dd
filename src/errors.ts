import path from 'node:path';

/** A place in a user's file, 1-based, as editors and compilers print it. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** "file:line:col": a place as editors and compilers print it, and jump to. */
export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** Stable codes: tests, docs and `--output json` consumers match on these, never on wording. */
export type ErrorCode =
  | 'E_FILE' // a file is missing or unreadable
  | 'E_YAML' // YAML syntax, duplicate keys, aliases, directives
  | 'E_SCHEMA' // the document does not match its JSON Schema
  | 'E_KIND' // a file whose kind (playbook, task file, inventory) cannot be told
  | 'E_TASK' // a task with zero or several kinds, or an inconsistent task
  | 'E_INCLUDE' // include cycles and include files that do not fit
  | 'E_NEEDS' // an include of a task file that lacks a variable or registered result the file declares it needs
  | 'E_LOOP' // a loop over something that is not a list, its variable read outside a loop, or a loop on an include
  | 'E_TEMPLATE' // template syntax errors and missing variables
  | 'E_INVENTORY' // unknown hosts or groups, bad patterns
  | 'E_CLUSTER' // the Nodes of a cluster inventory could not be listed (no kubectl, unknown context, unreachable)
  | 'E_VARS' // -e values and variable cycles
  | 'E_SECRET' // a secret whose value cannot be read, or one given where secrets may not be
  | 'E_USAGE' // command-line flags
  | 'E_PLAYBOOK' // a playbook name that resolves to nothing
  | 'E_PLAN' // a saved plan that cannot be run: another version, or what it was built from changed
  | 'E_NOT_AVAILABLE' // a feature this build of kplay does not have yet
  // At run time: each ends a task (or a host's part) as failed, and its host is put back.
  | 'E_TASK_FAILED' // a task's command or a kind's own check failed
  | 'E_TIMEOUT' // a task ran past its timeout; its processes were killed
  | 'E_UNTIL' // `until` was still false after every attempt
  | 'E_FAILED_WHEN' // the task's failed_when held
  | 'E_ASSERT' // an assert task's condition was false
  | 'E_FAIL' // a fail task ran
  | 'E_IO' // reading or writing a file on a host or the controller failed (missing, a folder, disk full)
  | 'E_JOURNAL' // the journal could not be written, so the change was not made
  | 'E_UNREACHABLE' // the host could not be reached, or its connection dropped
  | 'E_PREFLIGHT' // a check before any change refused the run
  | 'E_LOCKED' // another run (or another name of the same machine) holds the host
  | 'E_INTERRUPTED' // Ctrl-C or SIGTERM stopped the task
  | 'E_RUN_ONCE' // the run_once task this host waited for failed on the batch's first host
  | 'E_STOPPED' // a failure policy stopped the host before its tasks were done (any_errors_fatal, max_fail_percentage, rollback_on_failure)
  | 'E_UNDO' // an undo failed; what it should have put back is left as it is
  | 'E_ROLLBACK_ORDER' // a rollback of a run whose paths a newer run changed since
  | 'E_INTERNAL'; // a bug in kplay

/** One problem with the user's input; validation collects all of them before reporting. */
export interface Diagnostic {
  code: ErrorCode;
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
  pos?: SourcePos;
}

/** Exit codes, as documented in the README. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  taskFailed: 2,
  unreachable: 3,
  invalidInput: 4,
  rollbackIncomplete: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base of every error kplay reports on purpose; anything else reaching the CLI is a bug. */
export class KplayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly pos: SourcePos | undefined;
  readonly exitCode: ExitCode;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; pos?: SourcePos; cause?: unknown; exitCode?: ExitCode } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KplayError';
    this.code = code;
    this.hint = opts.hint;
    this.pos = opts.pos;
    this.exitCode = opts.exitCode ?? ExitCode.invalidInput;
  }

  get diagnostics(): Diagnostic[] {
    return [{ code: this.code, severity: 'error', message: this.message, hint: this.hint, pos: this.pos }];
  }
}

/** The user's input has problems; carries every one of them, not just the first. */
export class InvalidInputError extends KplayError {
  readonly problems: Diagnostic[];

  constructor(problems: Diagnostic[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    const first = errors[0] ?? problems[0];
    super(first?.code ?? 'E_INTERNAL', summarize(errors.length), { pos: first?.pos, hint: first?.hint });
    this.name = 'InvalidInputError';
    this.problems = problems;
  }

  override get diagnostics(): Diagnostic[] {
    return this.problems;
  }
}

/** A bug in kplay, not something the user can fix by changing input. */
export class InternalError extends KplayError {
  constructor(message: string, cause?: unknown) {
    super('E_INTERNAL', message, {
      cause,
      exitCode: ExitCode.internal,
      hint: 'This is a bug in kplay. Run again with --debug and report the output.',
    });
    this.name = 'InternalError';
  }
}

function summarize(count: number): string {
  return count === 1 ? '1 problem found' : `${count} problems found`;
}

/** Throws when any error-severity diagnostic is present; warnings alone pass. */
export function throwIfErrors(problems: Diagnostic[]): void {
  if (problems.some((p) => p.severity === 'error')) throw new InvalidInputError(problems);
}

/**
 * Every problem once, in the order found: the same problem at the same place (a task file checked
 * on its own and through the playbook that includes it; one schema error explained twice).
 */
export function uniqueDiagnostics(problems: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return problems.filter((d) => {
    const key = JSON.stringify([d.code, d.severity, d.message, d.pos && { ...d.pos, file: path.resolve(d.pos.file) }]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
