// Whatever goes wrong while a host's tasks run becomes one of these: a task that failed, with a
// stable code, or a host that dropped away. Only a bug in kplay itself stops the whole run.
import { ConnectionLost } from '../connection/types.js';
import type { Connection } from '../connection/types.js';
import { formatPos, InternalError, KplayError } from '../errors.js';
import type { ErrorCode, SourcePos } from '../errors.js';
import { TaskFailed } from '../tasks/kind.js';
import type { TaskOutcome } from '../tasks/kind.js';

/** Why a task (or a host's preparation) did not succeed. */
export interface Failure {
  code: ErrorCode;
  /** One line, starting with file:line:col where a file is to blame. */
  message: string;
  pos?: SourcePos;
  /** What the task printed before it failed. */
  outcome: Omit<TaskOutcome, 'status'> & { timedOut?: boolean };
  /** The host's connection is gone: the host is unreachable, and nothing more can be done there. */
  lost?: ConnectionLost;
  /** A bug in kplay: the run stops every host, undoes what it changed and exits 1. */
  bug?: Error;
}

// JavaScript's own errors come from code that is wrong, never from the state of a host or a file.
const BUG_TYPES = [TypeError, ReferenceError, RangeError, SyntaxError, EvalError, URIError];

/** Whether an error thrown at run time can only be kplay's own mistake. */
export function isBug(e: unknown): boolean {
  return !(e instanceof Error) || e instanceof InternalError || BUG_TYPES.some((t) => e instanceof t);
}

/**
 * Errors of the file system (Node's EISDIR, ENOSPC, ...) and of SFTP (numeric status codes) are
 * the world's: a missing file, a folder where a file was expected, a full disk.
 */
function ioCode(e: Error): string | undefined {
  const code = (e as NodeJS.ErrnoException & { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  if (typeof code === 'number') return `SFTP status ${code}`;
  return undefined;
}

/** The message with its place in front, as every other kplay error shows it. */
function placed(message: string, pos: SourcePos | undefined): string {
  return pos && !message.startsWith(`${pos.file}:`) ? `${formatPos(pos)}: ${message}` : message;
}

/**
 * Classifies what a task, a kind or the journal threw. `conn` tells a dropped connection apart
 * from a task's own failure: once it is lost, whatever failed failed because of that.
 */
export function failureOf(e: unknown, conn: Connection | undefined, host: string, during: string): Failure {
  if (e instanceof ConnectionLost) return { code: 'E_UNREACHABLE', message: e.message, outcome: {}, lost: e };
  const message = e instanceof Error ? e.message : String(e);
  if (conn?.lost && !(e instanceof TaskFailed)) {
    const lost = new ConnectionLost(host, `connection lost during ${during}: ${message}`, 'The host may have gone down or the network dropped; when it is back, kplay rollback puts it back.');
    return { code: 'E_UNREACHABLE', message: lost.message, outcome: {}, lost };
  }
  if (e instanceof TaskFailed) return { code: e.code, message: placed(e.message, e.pos), pos: e.pos, outcome: e.outcome };
  if (isBug(e)) return { code: 'E_INTERNAL', message, outcome: {}, bug: e instanceof Error ? e : new Error(message) };
  if (e instanceof KplayError) return { code: e.code, message: placed(e.message, e.pos), pos: e.pos, outcome: {} };
  const io = ioCode(e as Error);
  if (io) return { code: 'E_IO', message: `${during}: ${message}${message.includes(io) ? '' : ` (${io})`}`, outcome: {} };
  return { code: 'E_TASK_FAILED', message, outcome: {} };
}
