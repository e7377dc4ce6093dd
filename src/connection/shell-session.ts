import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { shellQuote } from '../template/shell-quote.js';
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

/** How to stop a task's process group when it runs too long: kill(pgid) through another channel. */
export type GroupKiller = (pgid: number, signal: 'TERM' | 'KILL') => Promise<void>;

/** Options of one command run in a session. */
export interface SessionRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** Raised when the shell itself goes away (connection dropped, sudo refused). */
export class SessionClosed extends Error {}

/** Seconds between SIGTERM and SIGKILL for a task that ran out of time. */
const KILL_GRACE_MS = 2000;

/**
 * One long-lived `sh` on a host that runs tasks one after another. Starting a shell costs a login
 * (and whatever the user's profile does) per SSH channel; reusing one costs a line of input. Each
 * task still runs in a process of its own (`setsid sh -c SCRIPT`, stdin from /dev/null), so its
 * exit code, output, working folder and environment are its own: `cd`, `export` or `exit` in one
 * task cannot touch the next. Its output is framed by markers carrying a random nonce, and its
 * process group can be killed as a whole when it times out.
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
    private readonly killer: GroupKiller,
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

  /** Starts using a shell: checks it answers and has setsid, which timeouts need. */
  static async open(pipes: ShellPipes, killer: GroupKiller, timeoutMs = 30_000): Promise<ShellSession> {
    const s = new ShellSession(pipes, killer);
    const ready = `__KPLAY_READY_${s.nonce}`;
    s.write(`command -v setsid >/dev/null 2>&1 && printf '%s 1\\n' ${ready} || printf '%s 0\\n' ${ready}\n`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        s.out.waitFor(ready),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new SessionClosed(`the remote shell did not answer within ${timeoutMs / 1000}s`)), timeoutMs);
        }),
      ]);
      if (found.line.trim() !== '1') throw new SessionClosed('setsid is not installed on the host (util-linux); kplay needs it to stop timed-out tasks');
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
    const pidMarker = `__KPLAY_PID_${this.nonce}_${id} `;
    const endMarker = `__KPLAY_END_${this.nonce}_${id}`;
    // The task prints its pid (= its process group, after setsid) on stderr before anything else,
    // then replaces itself with the user's script; the session shell waits for it and frames the end.
    const wrapper = `printf '%s%s\\n' ${shellQuote(pidMarker)} "$$" >&2; exec sh -c "$1"`;
    this.write(
      `setsid sh -c ${shellQuote(wrapper)} kplay ${shellQuote(script)} </dev/null &\n` +
        `wait $!; printf '%s %s\\n' ${endMarker} "$?"; printf '%s\\n' ${endMarker} >&2\n`,
    );

    let pgid: number | undefined;
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const pidSeen = this.err.waitFor(pidMarker).then((f) => {
      pgid = Number(f.line.trim());
      // What came before the pid marker on stderr belongs to no task (a background process of an earlier one).
    });
    this.out.onData = opts.onOutput ? (c) => opts.onOutput!('stdout', c) : undefined;
    const stop = () =>
      void pidSeen.then(async () => {
        if (pgid === undefined) return;
        await this.killer(pgid, 'TERM').catch(() => undefined);
        timers.push(setTimeout(() => void this.killer(pgid!, 'KILL').catch(() => undefined), KILL_GRACE_MS));
      });
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, opts.timeoutMs),
    );
    const onAbort = () => stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) stop();
    try {
      await pidSeen;
      this.err.onData = opts.onOutput ? (c) => opts.onOutput!('stderr', c) : undefined;
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
