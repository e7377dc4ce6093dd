// The terminal view: listr2 draws hosts as groups and each host's tasks under it, live.
//
// listr2 pulls: a task is a function listr calls, and a list runs the tasks it held when it started. kplay's
// engine pushes events instead, and nobody knows a host's next task before its task_start. The bridge:
// - every host and every task waits in a mailbox until listr asks for it;
// - a list holds one real entry and one untitled "link" task; the link waits for the next entry and returns a new
//   list [entry, next link]. Untitled tasks draw nothing and their subtasks draw at the parent's level, so a host's
//   chain of nested lists shows as one flat list that grows as tasks start;
// - a task's function returns a promise that settles on its task_end.
// run_end (or close) ends every mailbox and settles every open task, so listr always finishes and nothing hangs.
import { DefaultRenderer, Listr, ListrDefaultRendererLogLevels, ListrLogger, ProcessOutput, figures } from 'listr2';
import type { ListrTask, ListrTaskWrapper, LoggerFormat } from 'listr2';
import type { HostEndEvent, Reporter, RunEvent, TaskEndEvent, TaskStartEvent } from './events.js';
import { countsText, descriptionLines, eventTime, failureOutput, failureReason, formatElapsed, oneLine, sanitize, taskLabel, taskOutcome } from './format.js';
import { colorDiffLine, diffLines } from './diff-format.js';
import { RecapCollector, formatRecap } from './recap.js';
import { createPaint, statusColor } from './style.js';
import type { Paint } from './style.js';
import { flush } from './streams.js';

/** Options of the terminal reporter. */
export interface ListrReporterOptions {
  /** A terminal: listr2 redraws it in place. */
  out?: NodeJS.WritableStream;
  /** stderr: whatever else is written to it (or to `out`) while the display runs is held back until it ends. */
  err?: NodeJS.WritableStream;
  /** Keep the tasks of hosts that ended well on screen, instead of folding each into one line. */
  verbose?: boolean;
  /** Color status words and icons (callers turn this off for NO_COLOR). */
  color?: boolean;
}

/** Lines of a failure's output shown under the failed task. */
export const LISTR_TAIL_LINES = 10;

// How often a running task's latest progress message is handed to listr2 (see showProgress).
const PROGRESS_REDRAW_MS = 100;

// listr2 redraws the whole tree on every state change, and a burst of events (many hosts finishing a task at once)
// would spend the engine's time re-wrapping the same lines. Frames are spaced instead: at least FRAME_MS apart, and
// ten times as far apart as the last one took to draw, so drawing stays near a tenth of the CPU however many hosts
// there are (and at most MAX_FRAME_MS apart, so the screen stays live).
const FRAME_MS = 100;
const MAX_FRAME_MS = 1000;

class TerminalRenderer extends DefaultRenderer {
  // listr2 looks at process.stdout to decide whether it may draw; the caller has already decided `out` is a terminal.
  static override nonTTY = true;
  private frame?: NodeJS.Timeout;
  private frameCost = 0;
  private ended = false;

  override update(): void {
    // After end() the stream is released; a late redraw would write over the final screen.
    if (this.ended) return;
    this.frame ??= setTimeout(
      () => {
        this.frame = undefined;
        const started = performance.now();
        super.update();
        this.frameCost = performance.now() - started;
      },
      Math.min(MAX_FRAME_MS, Math.max(FRAME_MS, 10 * this.frameCost)),
    );
  }

  override end(): void {
    this.ended = true;
    clearTimeout(this.frame);
    this.frame = undefined;
    super.end();
  }
}

type Renderer = typeof TerminalRenderer;
type Ctx = Record<string, never>;
type Entry = ListrTask<Ctx, Renderer, Renderer>;
type Wrapper = ListrTaskWrapper<Ctx, Renderer, Renderer>;

/** A queue that listr's task functions wait on; after `end`, waiting yields undefined. */
class Mailbox<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((item: T | undefined) => void)[] = [];
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const take = this.waiting.shift();
    if (take) take(item);
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    for (const take of this.waiting.splice(0)) take(undefined);
  }

  next(): Promise<T | undefined> {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

interface TaskView {
  start: TaskStartEvent;
  startedAt: number;
  ended: Promise<TaskEndEvent>;
  settle(e: TaskEndEvent): void;
  settled: boolean;
  wrapper?: Wrapper;
  progress?: string;
  progressTimer?: NodeJS.Timeout;
}

interface HostEnd {
  status: HostEndEvent['status'] | 'interrupted';
  event?: HostEndEvent;
}

interface HostView {
  name: string;
  address: string;
  startedAt?: number;
  endedAt?: number;
  tasks: Mailbox<TaskView>;
  running?: TaskView;
  wrapper?: Wrapper;
  end?: HostEnd;
}

/** Draws the run live on a terminal with listr2, then prints the recap. */
export class ListrReporter implements Reporter {
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream;
  private readonly verbose: boolean;
  private readonly paint: Paint;
  private readonly recap = new RecapCollector();
  /** --diff: each task's diffs, printed under the display once it ends (a folded host would hide them). */
  private readonly diffs: string[] = [];
  private readonly hosts = new Map<string, HostView>();
  private readonly hostQueue = new Mailbox<HostView>();
  private drawing?: Promise<void>;
  private drawError?: unknown;
  private finished = false;
  private closing?: Promise<void>;

  constructor(opts: ListrReporterOptions = {}) {
    this.out = opts.out ?? process.stdout;
    this.err = opts.err ?? process.stderr;
    this.verbose = opts.verbose ?? false;
    this.paint = createPaint(opts.color ?? false);
  }

  onEvent(e: RunEvent): void {
    if (this.finished) return;
    this.recap.onEvent(e);
    // Written before the live display starts, so it stays above it.
    if (e.type === 'run_start' && e.description) this.out.write(`${descriptionLines(e.description).join('\n')}\n`);
    this.startDrawing();
    switch (e.type) {
      case 'host_start': {
        const h = this.host(e.host);
        h.address = e.address;
        h.startedAt ??= eventTime(e.time);
        if (h.wrapper) h.wrapper.title = this.hostTitle(h);
        break;
      }
      case 'task_start': {
        const h = this.host(e.host);
        if (h.running) this.interrupt(h.running, 'no result: the next task started before this one ended');
        const v = newTaskView(e);
        h.running = v;
        h.tasks.push(v);
        break;
      }
      case 'task_progress': {
        const v = this.hosts.get(e.host)?.running;
        if (v && v.start.taskId === e.taskId) {
          v.progress = oneLine(e.message);
          this.showProgress(v);
        }
        break;
      }
      case 'task_end': {
        const h = this.host(e.host);
        let v = h.running;
        if (!v || v.start.taskId !== e.taskId) {
          // An end without its start still belongs on screen.
          if (v) this.interrupt(v, 'no result: another task ended while this one ran');
          v = newTaskView({ type: 'task_start', time: e.time, host: e.host, taskId: e.taskId, name: e.name, kind: e.kind, preview: [] });
          h.tasks.push(v);
        }
        v.settle(e);
        h.running = undefined;
        if (e.diffs?.length) this.diffs.push('', `${this.paint.bold(sanitize(e.host))}  ${taskLabel(e)}`, ...diffLines(e.diffs).map((l) => `  ${colorDiffLine(this.paint, sanitize(l))}`));
        break;
      }
      case 'host_end':
        this.endHost(this.host(e.host), { status: e.status, event: e }, 'interrupted: the host ended before this task did');
        break;
      case 'run_end':
        this.finish();
        break;
      default:
        break;
    }
  }

  /** Ends the display (closing whatever is still open), waits until listr2 has drawn its last frame, prints the recap. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.finish();
      if (this.drawing) await this.drawing;
      if (this.drawError !== undefined) {
        const why = this.drawError instanceof Error ? this.drawError.message : String(this.drawError);
        this.err.write(`kplay: the terminal display failed: ${why}\n`);
      }
      if (this.diffs.length) this.out.write(`\n${this.paint.bold('DIFF')}${this.diffs.join('\n')}\n`);
      if (!this.recap.empty) this.out.write(`\n${formatRecap(this.recap.rows(), this.recap.end, this.paint, this.recap.check).join('\n')}\n`);
      await flush(this.out);
    })();
    return this.closing;
  }

  private startDrawing(): void {
    if (this.drawing) return;
    const listr = new Listr<Ctx, Renderer, Renderer>([this.hostLink()], {
      concurrent: true,
      // A host failing must not stop the others; each list below decides for its own entries.
      exitOnError: false,
      // Interrupts belong to the engine, which has undo steps to run; listr2 would exit the process.
      registerSignalListeners: false,
      renderer: TerminalRenderer,
      fallbackRenderer: TerminalRenderer,
      rendererOptions: {
        logger: new ListrLogger({
          processOutput: new ProcessOutput(this.out as NodeJS.WriteStream, this.err as NodeJS.WriteStream),
        }),
        collapseSubtasks: !this.verbose,
        collapseErrors: false,
        showErrorMessage: true,
        collapseSkips: true,
        showSkipMessage: true,
        icon: { [ListrDefaultRendererLogLevels.FAILED_WITH_FAILED_SUBTASKS]: figures.cross },
        color: iconColors(this.paint),
      },
    });
    this.drawing = listr.run().then(
      () => undefined,
      (err: unknown) => {
        this.drawError = err;
      },
    );
  }

  private host(name: string): HostView {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, address: '', tasks: new Mailbox<TaskView>() };
      this.hosts.set(name, h);
      this.hostQueue.push(h);
    }
    return h;
  }

  private endHost(h: HostView, end: HostEnd, why: string): void {
    if (h.end) return;
    if (h.running) this.interrupt(h.running, why);
    h.running = undefined;
    h.end = end;
    if (end.event) h.endedAt = eventTime(end.event.time);
    h.tasks.end();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const h of this.hosts.values()) this.endHost(h, { status: 'interrupted' }, 'interrupted: the run ended before this task did');
    this.hostQueue.end();
  }

  private interrupt(v: TaskView, why: string): void {
    v.settle({
      type: 'task_end',
      time: new Date().toISOString(),
      host: v.start.host,
      taskId: v.start.taskId,
      name: v.start.name,
      kind: v.start.kind,
      status: 'failed',
      message: why,
      attempts: 1,
      durationMs: Date.now() - v.startedAt,
    });
  }

  // Root level: [host, next link], concurrently, so hosts appear as they start and run side by side.
  private hostLink(): Entry {
    return {
      task: async (_ctx, t) => {
        const h = await this.hostQueue.next();
        if (!h) return;
        return t.newListr([this.hostEntry(h), this.hostLink()], { concurrent: true, exitOnError: false });
      },
    };
  }

  private hostEntry(h: HostView): Entry {
    return {
      title: this.hostTitle(h),
      task: async (_ctx, t) => {
        h.wrapper = t;
        t.title = this.hostTitle(h);
        const first = await h.tasks.next();
        if (!first) {
          // No tasks at all (typically unreachable): say why right under the host.
          this.settleHost(h);
          if (h.end?.status !== 'ok') throw new Error(hostProblem(h.end?.event) ?? t.title);
          return;
        }
        return t.newListr([this.taskLink(h, first)], { concurrent: false, exitOnError: true });
      },
    };
  }

  // Host level: [task, next link], one after the other. A failed host throws from its last link; the error climbs
  // the chain (exitOnError) and marks the host failed, while the failed task itself never stops the chain.
  private taskLink(h: HostView, first?: TaskView): Entry {
    return {
      task: async (_ctx, t) => {
        const v = first ?? (await h.tasks.next());
        if (!v) {
          this.settleHost(h);
          // Empty, so nothing is printed: the failed task above already says what went wrong.
          if (h.end?.status !== 'ok') throw new Error('');
          return;
        }
        return t.newListr([this.taskEntry(v), this.taskLink(h)], { concurrent: false, exitOnError: true });
      },
    };
  }

  private taskEntry(v: TaskView): Entry {
    return {
      title: taskLabel(v.start),
      exitOnError: false,
      task: async (_ctx, t) => {
        v.wrapper = t;
        this.showProgress(v);
        const e = await v.ended;
        t.title = `${taskLabel(v.start)}  ${taskOutcome(e, (word) => statusColor(this.paint, word)(word))}`;
        if (e.status === 'skipped') t.skip();
        // An error message equal to the title prints nothing under it.
        else if (e.status === 'failed') throw new Error(failureText(e) ?? t.title);
      },
    };
  }

  private settleHost(h: HostView): void {
    if (h.wrapper) h.wrapper.title = this.hostTitle(h);
  }

  private hostTitle(h: HostView): string {
    const p = this.paint;
    const name = `${p.bold(h.name)}${h.address ? ` ${p.dim(`(${sanitize(h.address)})`)}` : ''}`;
    const end = h.end;
    if (!end) return name;
    const status = statusColor(p, end.status)(end.status);
    if (!end.event || end.status === 'unreachable') return `${name}  ${status}`;
    const took = h.startedAt !== undefined && h.endedAt !== undefined ? ` in ${formatElapsed(h.endedAt - h.startedAt)}` : '';
    const why = end.event.message ? ` (${oneLine(end.event.message)})` : '';
    return `${name}  ${status}: ${countsText(end.event.recap)}${took}${why}`;
  }

  // listr2's renderer only hears output emitted after it first drew the task, and the first progress often comes
  // before that; so the latest message is emitted again on every tick until the task ends.
  private showProgress(v: TaskView): void {
    if (!v.wrapper || v.settled || v.progress === undefined || v.progressTimer) return;
    const wrapper = v.wrapper;
    const tick = (): void => {
      if (!v.settled && v.progress !== undefined) wrapper.output = v.progress;
    };
    tick();
    v.progressTimer = setInterval(tick, PROGRESS_REDRAW_MS);
    v.progressTimer.unref();
  }
}

function newTaskView(start: TaskStartEvent): TaskView {
  let settle!: (e: TaskEndEvent) => void;
  const ended = new Promise<TaskEndEvent>((resolve) => (settle = resolve));
  const v: TaskView = {
    start,
    startedAt: Date.now(),
    ended,
    settled: false,
    settle: (e) => {
      if (v.settled) return;
      v.settled = true;
      clearInterval(v.progressTimer);
      settle(e);
    },
  };
  return v;
}

/** What goes under a failed task: its message and the tail of its output. */
function failureText(e: TaskEndEvent): string | undefined {
  const lines: string[] = [];
  // The title already gives the exit status; a message that only repeats it is noise.
  if (e.message && e.message !== failureReason(e)) lines.push(oneLine(e.message));
  const tail = failureOutput(e, LISTR_TAIL_LINES);
  if (tail) lines.push(tail.heading, ...tail.lines.map((l) => `  ${l}`));
  return lines.length ? lines.join('\n') : undefined;
}

function hostProblem(e: HostEndEvent | undefined): string | undefined {
  if (!e?.message && !e?.hint) return undefined;
  return [e.message && oneLine(e.message), e.hint && `hint: ${oneLine(e.hint)}`].filter(Boolean).join('\n');
}

function iconColors(p: Paint): Partial<Record<ListrDefaultRendererLogLevels, LoggerFormat>> {
  const L = ListrDefaultRendererLogLevels;
  const c = (f: (s: string) => string): LoggerFormat => (s?: string) => f(s ?? '');
  return {
    [L.PENDING]: c(p.yellow),
    [L.COMPLETED]: c(p.green),
    [L.SKIPPED_WITH_COLLAPSE]: c(p.cyan),
    [L.SKIPPED_WITHOUT_COLLAPSE]: c(p.cyan),
    [L.COMPLETED_WITH_FAILED_SUBTASKS]: c(p.yellow),
    [L.COMPLETED_WITH_FAILED_SISTER_TASKS]: c(p.red),
    [L.FAILED]: c(p.red),
    [L.FAILED_WITH_FAILED_SUBTASKS]: c(p.red),
    [L.RETRY]: c(p.yellow),
    [L.ROLLING_BACK]: c(p.red),
    [L.ROLLED_BACK]: c(p.red),
    [L.WAITING]: c(p.dim),
    [L.PAUSED]: c(p.yellow),
  };
}
