import type { Connection } from '../connection/types.js';
import type { TaskContext } from '../tasks/kind.js';
import { TaskFailed } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';
import { shellQuote } from '../template/shell-quote.js';
import { Redactor } from '../report/redact.js';
import { unsealSecrets } from './secret-seal.js';
import type { UndoSpec } from './undo-spec.js';

/** Arguments of the built-in undos. */
export interface MoveBackArgs {
  /** Where the file was. */
  original: string;
  /** Where kplay moved it. */
  moved: string;
  /** Its SHA-256 before the move ("-" for a folder). */
  sha256: string;
}
export interface RestoreBackupArgs {
  path: string;
  backup: string;
  sha256: string;
}
export interface RemoveFileArgs {
  path: string;
  /** What kplay wrote there; anything else is left alone. */
  sha256: string;
}

export interface StopMarkedArgs {
  /** Value of KPLAY_PROCESS in the environment of what kplay started. */
  mark: string;
  /** The process to send SIGTERM to first (by its command name), e.g. dlv, which then ends its child. */
  leader: string;
  /** How long to wait for a clean exit before SIGKILL. */
  graceSeconds: number;
}

/** The environment variable that marks processes kplay starts on purpose (dlv), to find them again. */
export const PROCESS_MARK_VAR = 'KPLAY_PROCESS';

const SUM = (q: string) => `sha256sum -- ${q} | cut -d' ' -f1`;

/**
 * Shell for each built-in undo. Every one looks at the real state first, so it is right whether
 * the change happened or not, and running it twice does nothing the second time. Exit 0 also
 * prints what it found; any other exit explains on stderr why it refused.
 */
export function builtinUndoScript(kind: UndoSpec['kind'], args: unknown): string | undefined {
  if (kind === 'move_back') {
    const a = args as MoveBackArgs;
    const o = shellQuote(a.original);
    const m = shellQuote(a.moved);
    return [
      `if [ -e ${o} ] || [ -L ${o} ]; then`,
      `  if [ -e ${m} ] || [ -L ${m} ]; then echo "both ${a.original} and ${a.moved} exist; refusing to overwrite either" >&2; exit 5; fi`,
      `  echo "already in place"; exit 0`,
      `fi`,
      `[ -e ${m} ] || [ -L ${m} ] || { echo "${a.moved} is gone: nothing to move back to ${a.original}" >&2; exit 6; }`,
      a.sha256 && a.sha256 !== '-'
        ? `[ "$(${SUM(m)})" = ${shellQuote(a.sha256)} ] || { echo "${a.moved} changed since kplay moved it (checksum differs); left where it is" >&2; exit 7; }`
        : '',
      `mkdir -p -- "$(dirname -- ${o})" && mv -n -- ${m} ${o} && [ ! -e ${m} ] || exit 8`,
      `echo "moved back"`,
    ].join('\n');
  }
  if (kind === 'restore_backup') {
    const a = args as RestoreBackupArgs;
    const p = shellQuote(a.path);
    const b = shellQuote(a.backup);
    return [
      `if [ ! -e ${b} ]; then`,
      `  if [ -e ${p} ] && [ "$(${SUM(p)})" = ${shellQuote(a.sha256)} ]; then echo "already restored"; exit 0; fi`,
      `  echo "the backup ${a.backup} is missing" >&2; exit 6`,
      `fi`,
      `[ "$(${SUM(b)})" = ${shellQuote(a.sha256)} ] || { echo "the backup ${a.backup} does not match its checksum" >&2; exit 7; }`,
      `cp -p -- ${b} ${shellQuote(`${a.path}.kplay-restore`)} && mv -f -- ${shellQuote(`${a.path}.kplay-restore`)} ${p} && rm -f -- ${b}`,
      `echo "restored"`,
    ].join('\n');
  }
  if (kind === 'stop_marked') {
    const a = args as StopMarkedArgs;
    const find = `grep -l -z -x -F -- ${shellQuote(`${PROCESS_MARK_VAR}=${a.mark}`)} /proc/[0-9]*/environ 2>/dev/null | sed 's#^/proc/##; s#/environ$##'`;
    return [
      `pids=$(${find})`,
      `[ -n "$pids" ] || { echo "not running"; exit 0; }`,
      // SIGTERM to the leader only: dlv then ends the program it traces; SIGKILL could leave it stopped under ptrace.
      `for p in $pids; do [ "$(cat /proc/$p/comm 2>/dev/null)" = ${shellQuote(a.leader)} ] && kill -TERM "$p" 2>/dev/null; done`,
      `i=0; while [ $i -lt ${a.graceSeconds * 10} ]; do [ -n "$(${find})" ] || { echo "stopped"; exit 0; }; sleep 0.1; i=$((i+1)); done`,
      `for p in $(${find}); do kill -TERM "$p" 2>/dev/null; done; sleep 1`,
      `left=$(${find}); [ -z "$left" ] || { for p in $left; do kill -KILL "$p" 2>/dev/null; done; echo "killed after ${a.graceSeconds}s: $left"; }`,
      `echo "stopped"`,
    ].join('\n');
  }
  if (kind === 'remove_file') {
    const a = args as RemoveFileArgs;
    const p = shellQuote(a.path);
    return [
      `[ -e ${p} ] || { echo "already absent"; exit 0; }`,
      `[ "$(${SUM(p)})" = ${shellQuote(a.sha256)} ] || { echo "${a.path} changed since kplay wrote it; left in place" >&2; exit 7; }`,
      `rm -f -- ${p} && echo "removed"`,
    ].join('\n');
  }
  return undefined;
}

/** What an undo did. */
export interface UndoResult {
  ok: boolean;
  message: string;
}

/**
 * Runs one journaled undo on a host (or the controller, for local tasks). Secrets sealed in its
 * arguments are read again first (from `env` or their files), and masked in what it reports.
 */
export async function runUndo(spec: UndoSpec, conn: Connection, local: Connection, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<UndoResult> {
  const opened = unsealSecrets(spec.args, env);
  if ('problem' in opened) return { ok: false, message: opened.problem };
  const r = await runOpenedUndo({ ...spec, args: opened.value }, conn, local, signal);
  return opened.secrets.length ? { ok: r.ok, message: new Redactor(opened.secrets).text(r.message) } : r;
}

async function runOpenedUndo(spec: UndoSpec, conn: Connection, local: Connection, signal: AbortSignal): Promise<UndoResult> {
  const target = spec.local ? local : conn;
  const script = builtinUndoScript(spec.kind, spec.args);
  if (script !== undefined) {
    const r = await target.run(script, { timeoutMs: spec.timeoutMs, become: spec.become });
    const out = r.stdout.toString().trim();
    const err = r.stderr.toString().trim();
    return r.rc === 0 ? { ok: true, message: out } : { ok: false, message: err || `exit status ${r.rc}` };
  }
  const kind = taskKinds[spec.kind as keyof typeof taskKinds];
  if (!kind?.execute) return { ok: false, message: `kplay cannot run a ${spec.kind} undo` };
  const ctx: TaskContext = {
    conn: target,
    become: spec.become,
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
