import { asBecomeUser } from '../connection/become-user.js';
import type { Connection } from '../connection/types.js';
import type { StoredUndo } from '../journal/run-store.js';
import { unsealSecrets } from '../journal/secret-seal.js';
import { Redactor } from '../report/redact.js';
import type { TaskContext, UndoOptions } from '../tasks/kind.js';
import { TaskFailed } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';
import type { BuiltinUndoSpec, UndoSpec, UserUndoSpec } from '../tasks/undos.js';
import { isBuiltinUndo, undoScript } from '../tasks/undos.js';

/** What an undo did. */
export interface UndoResult {
  ok: boolean;
  message: string;
}

/**
 * A journaled undo, read back as the typed spec it was written from; undefined when this kplay
 * does not know its kind (a journal written by another version).
 */
export function readUndo(stored: StoredUndo): UndoSpec | undefined {
  if (stored.userWritten) return Object.hasOwn(taskKinds, stored.kind) ? (stored as UserUndoSpec) : undefined;
  return isBuiltinUndo(stored.kind) ? (stored as BuiltinUndoSpec) : undefined;
}

/**
 * Runs one journaled undo on a host (or the controller, for local tasks). Secrets sealed in its
 * arguments are read again first (from `env` or their files), and masked in what it reports.
 */
export async function runUndo(
  stored: StoredUndo,
  conn: Connection,
  local: Connection,
  signal: AbortSignal,
  opts: UndoOptions = { force: false },
  env: NodeJS.ProcessEnv = process.env,
): Promise<UndoResult> {
  const opened = unsealSecrets(stored.args, env);
  if ('problem' in opened) return { ok: false, message: opened.problem };
  const r = await runOpened({ ...stored, args: opened.value }, conn, local, signal, opts);
  return opened.secrets.length ? { ok: r.ok, message: new Redactor(opened.secrets).text(r.message) } : r;
}

async function runOpened(stored: StoredUndo, conn: Connection, local: Connection, signal: AbortSignal, opts: UndoOptions): Promise<UndoResult> {
  const spec = readUndo(stored);
  if (!spec) return { ok: false, message: `kplay cannot run a ${stored.kind} undo (was the journal written by another version of kplay?)` };
  const target = spec.local ? local : conn;
  if (!spec.userWritten) {
    const r = await target.run(undoScript(spec, opts), { timeoutMs: spec.timeoutMs, become: spec.become, becomeUser: spec.becomeUser, signal });
    const out = r.stdout.toString().trim();
    const err = r.stderr.toString().trim();
    if (r.rc === 0) return { ok: true, message: out };
    return { ok: false, message: err || (r.timedOut ? `timed out after ${spec.timeoutMs / 1000}s` : `exit status ${r.rc ?? r.signal}`) };
  }
  return runUserUndo(spec, target, signal);
}

/** A user's rollback task, run as its kind runs it, with nothing left to render. */
async function runUserUndo(spec: UserUndoSpec, target: Connection, signal: AbortSignal): Promise<UndoResult> {
  const kind = taskKinds[spec.kind];
  if (!kind.execute) return { ok: false, message: `kplay cannot run a ${spec.kind} undo` };
  const ctx: TaskContext = {
    conn: asBecomeUser(target, spec.becomeUser),
    become: spec.become,
    ...(spec.becomeUser ? { becomeUser: spec.becomeUser } : {}),
    timeoutMs: spec.timeoutMs,
    baseDir: process.cwd(),
    renderText: () => {
      throw new TaskFailed('a template cannot be rendered during a rollback');
    },
    progress: () => undefined,
    signal,
  };
  try {
    const o = await kind.execute(ctx, spec.args as never);
    return { ok: true, message: o.message ?? 'done' };
  } catch (e) {
    if (e instanceof TaskFailed) {
      const err = e.outcome.stderr?.toString().trim();
      return { ok: false, message: `${e.message}${err ? `: ${err.split('\n').slice(-3).join(' / ')}` : ''}` };
    }
    throw e;
  }
}
