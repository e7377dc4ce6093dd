import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { shellQuote } from '../template/shell-quote.js';
import { markedPids } from './marked-processes.js';
import { MarkerStream } from './marker-stream.js';
import type { RunResult } from './types.js';

/** The pipes of a running `sh` (an SSH channel, or a local child process). */
export interface ShellPipes {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Registers a callback for when the shell is gone (channel closed, process exited). */
  onClose(cb: (reason: string) => void): void;
  /** Ends the shell. */
  close(): void;
}

/**
 * How to stop a task that runs too long: signal every process whose environment carries the
 * task's mark (see killScript), through another channel, since the session's own shell is waiting.
 */
export type TaskKiller = (mark: string, signal: 'TERM' | 'KILL') => Promise<void>;

/** The environment variable that marks every process a task starts, to find them all on timeout. */
export const TASK_MARK_VAR = '__KPLAY_ID';

/**
 * Shell that prints the PIDs the script `roots` prints and every descendant of theirs, walking
 * parent PIDs in /proc/PID/stat (readable for every process, whoever owns it). It finds what the
 * environment cannot: `sudo` resets the environment, so what it starts carries no mark.
 */
export function processTreeScript(roots: string): string {
  // stat is "PID (COMM) STATE PPID ...", and COMM may hold spaces and parentheses: cut at the last ") ".
  const awk = `$0 == "-" { stats = 1; next }
!stats { roots[++n] = $1; next }
{ pid = $1; sub(/^.*\\) /, ""); kids[$2] = kids[$2] " " pid }
END { for (i = 1; i <= n; i++) { p = roots[i]; if (seen[p]++) continue; print p; m = split(kids[p], c, " "); for (j = 1; j <= m; j++) roots[++n] = c[j] } }`;
  return `{ ${roots}; echo -; cat /proc/[0-9]*/stat 2>/dev/null; } | awk ${shellQuote(awk)}`;
}

/**
 * Shell that signals every process of a task: those carrying its mark (all of its descendants
 * inherit it, including those that left its process group or were re-parented) and the
 * descendants of those (what it started through sudo). A process of root's that this user may not
 * signal gets the signal from sudo (-n: never a prompt): sudo passes a TERM on to its command
 * itself, but not a KILL, which would leave the command running.
 */
export function killScript(mark: string, signal: 'TERM' | 'KILL'): string {
  const viaSudo = signal === 'KILL' ? ' || sudo -n kill -KILL "$p" 2>/dev/null' : '';
  return `for p in $(${processTreeScript(markedPids(TASK_MARK_VAR, mark))}); do kill -${signal} "$p" 2>/dev/null${viaSudo}; done; true`;
}

/** Options of one command run in a session. */
export interface SessionRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** Raised when the shell itself goes away (connection dropped, sudo refused). */
export class SessionClosed extends Error {}

/** Milliseconds between SIGTERM and SIGKILL for a task that ran out of time. */
const KILL_GRACE_MS = 2000;

/**
 * One long-lived `sh` on a host that runs tasks one after another. Starting a shell costs a login
 * (and whatever the user's profile does) per SSH channel; reusing one costs a line of input. Each
 * task still runs in a process of its own (`sh -c ...`, stdin from /dev/null), so its exit code,
 * output, working folder and environment are its own: `cd`, `export` or `exit` in one task cannot
 * touch the next. Its output is framed by markers carrying a random nonce, and every process it
 * starts carries a mark in its environment, so that a timeout can kill them all.
 */
export class ShellSession {
  private readonly nonce = randomBytes(12).toString('hex');
  private readonly out = new MarkerStream();
  private readonly err = new MarkerStream();
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closedReason: string | undefined;

  private constructor(
    private readonly pipes: ShellPipes,
    private readonly killer: TaskKiller,
  ) {
    pipes.stdout.on('data', (c: Buffer) => this.out.push(c));
    pipes.stderr.on('data', (c: Buffer) => this.err.push(c));
    pipes.stdin.on('error', () => undefined); // a write after the shell died surfaces through onClose
    pipes.onClose((reason) => {
      this.closedReason = reason;
      const e = new SessionClosed(reason);
      this.out.end(e);
      this.err.end(e);
    });
  }

  /** Starts using a shell: checks that it answers. */
  static async open(pipes: ShellPipes, killer: TaskKiller, timeoutMs = 30_000): Promise<ShellSession> {
    const s = new ShellSession(pipes, killer);
    const ready = `__KPLAY_READY_${s.nonce}`;
    s.write(`printf '%s\\n' ${ready}\n`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        s.out.waitFor(ready),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new SessionClosed(`the remote shell did not answer within ${timeoutMs / 1000}s`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      pipes.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return s;
  }

  /** Why the shell is gone, or undefined while it is usable. */
  get closed(): string | undefined {
    return this.closedReason;
  }

  /** Runs a shell script as one task; tasks queue up, one at a time per session. */
  run(script: string, opts: SessionRunOptions): Promise<RunResult> {
    const next = this.queue.then(() => this.runNow(script, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.pipes.close();
  }

  private write(text: string): void {
    if (this.closedReason) throw new SessionClosed(this.closedReason);
    this.pipes.stdin.write(text);
  }

  private async runNow(script: string, opts: SessionRunOptions): Promise<RunResult> {
    const id = ++this.seq;
    const started = performance.now();
    const endMarker = `__KPLAY_END_${this.nonce}_${id}`;
    const mark = `${this.nonce}_${id}`;
    // The script travels in an environment variable that the task's shell unsets before running
    // it, so its text stays out of every command line; the mark stays, inherited by everything
    // the task starts. The session shell waits for the task and frames the end of its output.
    const wrapper = `__kplay_s=$__KPLAY_TASK; unset __KPLAY_TASK; eval "$__kplay_s"`;
    this.write(
      `${TASK_MARK_VAR}=${mark} __KPLAY_TASK=${shellQuote(script)} sh -c ${shellQuote(wrapper)} </dev/null\n` +
        `printf '%s %s\\n' ${endMarker} "$?"; printf '%s\\n' ${endMarker} >&2\n`,
    );

    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = () => {
      void this.killer(mark, 'TERM').catch(() => undefined);
      timers.push(setTimeout(() => void this.killer(mark, 'KILL').catch(() => undefined), KILL_GRACE_MS));
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, opts.timeoutMs),
    );
    const onAbort = () => stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) stop();
    this.out.onData = opts.onOutput ? (c) => opts.onOutput!('stdout', c) : undefined;
    this.err.onData = opts.onOutput ? (c) => opts.onOutput!('stderr', c) : undefined;
    try {
      const [o, e] = await Promise.all([this.out.waitFor(endMarker), this.err.waitFor(endMarker)]);
      const status = Number(o.line.trim());
      return {
        ...exitOf(status),
        stdout: o.before,
        stderr: e.before,
        timedOut,
        durationMs: performance.now() - started,
      };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      for (const t of timers) clearTimeout(t);
      this.out.onData = undefined;
      this.err.onData = undefined;
    }
  }
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/** sh reports death by signal N as status 128+N; say which signal rather than a bare number. */
function exitOf(status: number): { rc: number | null; signal?: string } {
  if (status > 128 && SIGNALS[status - 128]) return { rc: null, signal: SIGNALS[status - 128] };
  return { rc: status };
}
