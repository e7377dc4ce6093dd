import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dlv } from '../config/playbook.generated.js';
import { markedPids } from '../connection/marked-processes.js';
import { shellQuote } from '../template/index.js';
import { stringify } from './command.js';
import type { KindDef, OwnUndo, TaskContext, UndoAction } from './kind.js';
import { ownUndo, portProblem, TaskFailed } from './kind.js';
import { checkScript } from './wait-for.js';
import { DEFAULT_DLV_LISTEN, listenAddress } from './dlv-listen.js';

/** Delve's arguments, normalized: `args` is either a list (one argument each) or a shell fragment. */
export type DlvArgs = Omit<Dlv, 'env'> & { env?: Record<string, string> };

/** The environment variable that marks processes kplay starts on purpose (dlv), to find them again. */
export const PROCESS_MARK_VAR = 'KPLAY_PROCESS';

/** Arguments of stop_marked, the undo of starting a process. */
export interface StopMarkedArgs {
  /** Value of KPLAY_PROCESS in the environment of what kplay started. */
  mark: string;
  /** The process to send SIGTERM to first (by its command name), e.g. dlv, which then ends its child. */
  leader: string;
  /** How long to wait for a clean exit before SIGKILL. */
  graceSeconds: number;
  /** The transient systemd unit Delve may run in (stopped first, where it is active). */
  unit?: string;
}

/** Stops every process that carries the mark: the leader first, then SIGTERM to all, then SIGKILL. */
export const stopMarked: UndoAction<'stop_marked', StopMarkedArgs> = {
  kind: 'stop_marked',
  paths: () => [],
  script(a) {
    const find = markedPids(PROCESS_MARK_VAR, a.mark);
    // systemctl stop with KillMode=mixed: SIGTERM to Delve alone, as below; a unit that never ran (no
    // systemd on the host) is not active, and the marked processes are then stopped directly.
    const unit = a.unit ? shellQuote(a.unit) : '';
    return [
      unit ? `if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet ${unit} 2>/dev/null; then systemctl stop ${unit}; fi` : '',
      `pids=$(${find})`,
      `[ -n "$pids" ] || { echo "not running"; exit 0; }`,
      // SIGTERM to the leader only: dlv then ends the program it traces; SIGKILL could leave it stopped under ptrace.
      `for p in $pids; do [ "$(cat /proc/$p/comm 2>/dev/null)" = ${shellQuote(a.leader)} ] && kill -TERM "$p" 2>/dev/null; done`,
      `i=0; while [ $i -lt ${a.graceSeconds * 10} ]; do [ -n "$(${find})" ] || { echo "stopped"; exit 0; }; sleep 0.1; i=$((i+1)); done`,
      `for p in $(${find}); do kill -TERM "$p" 2>/dev/null; done; sleep 1`,
      `left=$(${find}); [ -z "$left" ] || { for p in $left; do kill -KILL "$p" 2>/dev/null; done; echo "killed after ${a.graceSeconds}s:" $left; }`,
      `echo "stopped"`,
    ]
      .filter(Boolean)
      .join('\n');
  },
};

export { DEFAULT_DLV_LISTEN } from './dlv-listen.js';

/** The JSON-RPC line that tells whether Delve is up (any answer will do). */
const GET_VERSION = '{"method":"RPCServer.GetVersion","params":[{}],"id":1}\n';

/** How long Delve may take to load a large binary and start listening. */
const READY_TIMEOUT_MS = 120_000;

/** The dlv command line that the launch runs (without the detaching wrapper). */
export function dlvCommandLine(a: DlvArgs): string {
  const parts = [
    shellQuote(a.dlv ?? 'dlv'),
    'exec',
    shellQuote(a.binary),
    '--headless',
    `--listen=${shellQuote(a.listen ?? DEFAULT_DLV_LISTEN)}`,
    '--api-version=2',
    '--accept-multiclient',
  ];
  if (a.continue) parts.push('--continue');
  const flags = Array.isArray(a.flags) ? a.flags.map(shellQuote).join(' ') : (a.flags ?? '').trim();
  if (flags) parts.push(flags);
  const args = Array.isArray(a.args) ? a.args.map(shellQuote).join(' ') : (a.args ?? '');
  if (args) parts.push('--', args);
  return parts.join(' ');
}


function logFile(a: DlvArgs): string {
  return a.log ?? `/tmp/kplay-dlv-${listenAddress(a).port}.log`;
}

// prepareUndo picks the mark its undo looks for; execute must start Delve with the same one.
const marks = new WeakMap<object, string>();

function markOf(a: DlvArgs): string {
  let m = marks.get(a);
  if (!m) {
    m = randomBytes(8).toString('hex');
    marks.set(a, m);
  }
  return m;
}

async function logTail(ctx: TaskContext, a: DlvArgs): Promise<string> {
  const r = await ctx.conn.run(`tail -n 20 -- ${shellQuote(logFile(a))} 2>/dev/null`, { timeoutMs: 30_000, become: ctx.become });
  return r.stdout.toString().trim();
}

/**
 * Variables of a captured environment that belong to the session it was started in, not to the program:
 * the launch's own session sets these; systemd's (INVOCATION_ID, JOURNAL_STREAM, NOTIFY_SOCKET, ...) would
 * tell the program it is a service it is not; an old mark would make this launch's undo stop another one.
 */
const SESSION_VARS = new Set(['PATH', 'HOME', 'HOSTNAME', 'TERM', 'SHLVL', 'PWD', 'OLDPWD', '_', 'USER', 'LOGNAME', 'SHELL', 'MAIL', 'SUDO_USER', 'SUDO_UID', 'SUDO_GID', 'SUDO_COMMAND', 'INVOCATION_ID', 'JOURNAL_STREAM', 'NOTIFY_SOCKET', 'LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'WATCHDOG_PID', 'WATCHDOG_USEC', 'MANAGERPID', 'SYSTEMD_EXEC_PID', 'MAINPID', PROCESS_MARK_VAR]);

/** NUL-separated NAME=VALUE entries (as /proc/PID/environ), less the session's own variables. */
export function parseEnviron(data: Buffer | string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of data.toString('utf8').split('\0')) {
    const i = entry.indexOf('=');
    if (i <= 0) continue;
    const name = entry.slice(0, i);
    if (!SESSION_VARS.has(name)) out[name] = entry.slice(i + 1);
  }
  return out;
}

async function envFile(ctx: TaskContext, file: string): Promise<Record<string, string>> {
  const hint = 'capture it first (cp /proc/PID/environ FILE), or leave env_file out';
  let data: Buffer | undefined;
  try {
    data = await ctx.conn.readFile(file, { become: ctx.become });
  } catch (e) {
    throw new TaskFailed(`cannot read the environment file ${file} (${e instanceof Error ? e.message : String(e)}): ${hint}`);
  }
  if (data === undefined) throw new TaskFailed(`the environment file ${file} does not exist: ${hint}`);
  return parseEnviron(data);
}

/** Where systemd keeps its runtime state; it exists exactly when systemd is the running init (sd_booted). */
export const SYSTEMD_RUNTIME_DIR = '/run/systemd/system';

/**
 * The shell that starts Delve and prints its pid: in a transient unit where the host runs systemd and
 * `unit` is given, else detached with setsid. Every stream is redirected, so the SSH channel closes; the
 * mark in the environment is how the undo (and kplay rollback, after a crash) finds what was started.
 */
export function launchScript(a: DlvArgs, mark: string, env: Record<string, string>): string {
  const log = shellQuote(logFile(a));
  const assignments = Object.entries({ ...env, [PROCESS_MARK_VAR]: mark }).map(([k, v]) => shellQuote(`${k}=${v}`));
  const detached = `env ${assignments.join(' ')} setsid ${dlvCommandLine(a)} </dev/null >${log} 2>&1 & pid=$!`;
  const lines = [`mkdir -p -- "$(dirname -- ${log})"`, a.cwd ? `cd -- ${shellQuote(a.cwd)} || exit 1` : ''];
  if (a.unit) {
    const unit = shellQuote(a.unit);
    // KillMode=mixed: a stop sends SIGTERM to Delve only, which ends the program it traces (SIGKILL to a
    // traced process can leave it stopped). stderr follows stdout into the log (StandardError=inherit).
    const props = ['KillMode=mixed', 'TimeoutStopSec=10', 'StandardInput=null', `StandardOutput=file:${logFile(a)}`, ...(a.cwd ? [`WorkingDirectory=${a.cwd}`] : [])];
    lines.push(
      `if [ -d ${SYSTEMD_RUNTIME_DIR} ] && command -v systemd-run >/dev/null 2>&1; then`,
      `  : >${log}`,
      `  systemd-run --unit=${unit} --collect --quiet ${props.map((p) => `-p ${shellQuote(p)}`).join(' ')} ${assignments.map((x) => `--setenv=${x}`).join(' ')} -- ${dlvCommandLine(a)} </dev/null || exit 1`,
      `  pid=$(systemctl show -p MainPID ${unit} | cut -d= -f2)`,
      `else`,
      `  ${detached}`,
      `fi`,
    );
  } else {
    lines.push(detached);
  }
  lines.push(a.pid_file ? `printf '%s\\n' "$pid" > ${shellQuote(a.pid_file)}` : '', `echo "$pid"`);
  return lines.filter(Boolean).join('\n');
}

export const dlv: KindDef<'dlv', DlvArgs, OwnUndo<'stop_marked', StopMarkedArgs>> = {
  kind: 'dlv',
  changes: true,
  shellFields: ['args', 'flags'],
  renderedChecks: {
    listen: (text) => {
      const i = text.lastIndexOf(':');
      return i < 0 ? `"${text}" has no port: write ADDRESS:PORT, like 127.0.0.1:2345` : portProblem(text.slice(i + 1));
    },
  },
  normalize: (w) => ({ ...w, env: stringify(w.env) }),
  preview(a) {
    const lines = [`start detached: ${dlvCommandLine(a)}`];
    if (a.unit) lines.push(`  (in the transient systemd unit ${a.unit} where the host runs systemd)`);
    if (a.cwd || a.env_file) lines.push(`  (${[a.cwd ? `from ${a.cwd}` : '', a.env_file ? `with the environment in ${a.env_file}` : ''].filter(Boolean).join(', ')})`);
    lines.push(`  (output to ${logFile(a)}; waits until Delve answers on ${a.listen ?? DEFAULT_DLV_LISTEN})`);
    return lines;
  },
  // Before anything changes: a taken port would make the launch fail after the component is stopped.
  async preflight(ctx, a) {
    const where = listenAddress(a);
    const r = await ctx.conn.run(checkScript({ port: where.port, host: where.host === '0.0.0.0' ? undefined : where.host }), { timeoutMs: 30_000, become: ctx.become });
    return r.rc === 0 ? `port ${where.port} is already in use on the host, so Delve could not listen there; choose another port` : undefined;
  },
  async prepareUndo(ctx, a) {
    return ownUndo(stopMarked, ctx, `stop Delve on ${a.listen ?? DEFAULT_DLV_LISTEN}`, { mark: markOf(a), leader: 'dlv', graceSeconds: 10, ...(a.unit ? { unit: a.unit } : {}) }, 60_000);
  },
  async execute(ctx, a) {
    const where = listenAddress(a);
    if (!['127.0.0.1', 'localhost', '::1'].includes(where.host)) {
      ctx.progress(`warning: Delve listens on ${where.host}:${where.port}, which has no authentication: anyone who reaches it can run code as this process's user`);
    }
    const env = { ...(a.env_file ? await envFile(ctx, a.env_file) : {}), ...(a.env ?? {}) };
    const script = launchScript(a, markOf(a), env);
    const r = await ctx.conn.run(script, { timeoutMs: 30_000, become: ctx.become });
    if (r.rc !== 0) throw new TaskFailed(`cannot start dlv: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr });
    const pid = Number(r.stdout.toString().trim());
    const deadline = Date.now() + Math.min(ctx.timeoutMs, READY_TIMEOUT_MS);
    for (;;) {
      try {
        const answer = await ctx.conn.request(where.host === '0.0.0.0' ? { host: '127.0.0.1', port: where.port } : where, GET_VERSION, 2000, { become: ctx.become });
        const log = logFile(a);
        return { status: 'changed', stdout: answer, value: { pid, listen: `${where.host}:${where.port}`, log }, message: `Delve (pid ${pid}) answers on ${where.host}:${where.port}; its output and the program's go to ${log}` };
      } catch {
        const alive = await ctx.conn.run(`kill -0 ${pid} 2>/dev/null`, { timeoutMs: 30_000, become: ctx.become });
        if (alive.rc !== 0) throw new TaskFailed(`dlv exited before answering; its log (${logFile(a)}) ends with:\n${await logTail(ctx, a)}`);
        if (Date.now() > deadline || ctx.signal.aborted) throw new TaskFailed(`Delve did not answer on ${where.host}:${where.port} in time; its log (${logFile(a)}) ends with:\n${await logTail(ctx, a)}`);
        await sleep(300);
      }
    }
  },
};
