// Text for CI logs and pipes: one line per event, each prefixed with its host so interleaved hosts stay readable
// and `grep '^cp1 '` gives one host's story. No escape codes: logs are read in viewers that do not render them.
import type { Reporter, RunEvent, TaskEndEvent } from './events.js';
import { descriptionLines, eventTime, failureOutput, failureReason, oneLine, outputLines, sanitize, taskLabel, taskOutcome } from './format.js';
import { diffLines } from './diff-format.js';
import { RecapCollector, formatRecap } from './recap.js';
import { flush } from './streams.js';

/** Options of the plain reporter. */
export interface PlainReporterOptions {
  out?: NodeJS.WritableStream;
  /** Print every task's stdout and stderr, not only a failure's tail. */
  verbose?: boolean;
}

/** Lines of a failure's output shown when not verbose. */
export const PLAIN_TAIL_LINES = 20;
/** Minimum time between two progress lines of the same task. */
export const PLAIN_PROGRESS_INTERVAL_MS = 2000;

const DETAIL = '  ';
const CONTENT = '    ';

/** Writes one line per event (plus details of failures) and a recap at the end. */
export class PlainReporter implements Reporter {
  private readonly out: NodeJS.WritableStream;
  private readonly verbose: boolean;
  private readonly recap = new RecapCollector();
  // Keyed by host and task id: the label from task_start (progress events carry no name) and the last progress line.
  private readonly labels = new Map<string, string>();
  private readonly lastProgress = new Map<string, number>();
  private hostWidth = 0;
  private recapPrinted = false;

  constructor(opts: PlainReporterOptions = {}) {
    this.out = opts.out ?? process.stdout;
    this.verbose = opts.verbose ?? false;
  }

  onEvent(e: RunEvent): void {
    this.recap.onEvent(e);
    const lines = this.lines(e);
    if (lines.length) this.out.write(`${lines.join('\n')}\n`);
  }

  async close(): Promise<void> {
    // A run that ended without run_end (a crash, an interrupt) still deserves to see where each host got to.
    if (!this.recapPrinted && !this.recap.empty) this.out.write(`\n${this.recapLines().join('\n')}\n`);
    this.recapPrinted = true;
    await flush(this.out);
  }

  private lines(e: RunEvent): string[] {
    switch (e.type) {
      case 'run_start':
        this.hostWidth = Math.max(0, ...e.hosts.map((h) => h.length));
        return [
          `Running ${sanitize(e.playbook)} (${sanitize(e.file)}) on ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}: ` +
            `${e.hosts.join(', ')}; run ${e.runId}`,
          ...descriptionLines(e.description),
        ];
      case 'host_start':
        return [this.line(e.host, `starting (${e.address})`)];
      case 'task_start':
        this.labels.set(`${e.host}\0${e.taskId}`, taskLabel(e));
        return [this.line(e.host, `${taskLabel(e)} ...`)];
      case 'task_progress': {
        const key = `${e.host}\0${e.taskId}`;
        // Throttled on the engine's clock, not ours: events may arrive buffered or be replayed.
        const at = eventTime(e.time);
        const last = this.lastProgress.get(key);
        if (last !== undefined && at - last < PLAIN_PROGRESS_INTERVAL_MS) return [];
        this.lastProgress.set(key, at);
        return [this.line(e.host, `${this.labels.get(key) ?? sanitize(e.taskId)} ... ${oneLine(e.message)}`)];
      }
      case 'task_end':
        this.labels.delete(`${e.host}\0${e.taskId}`);
        this.lastProgress.delete(`${e.host}\0${e.taskId}`);
        return [this.line(e.host, `${taskLabel(e)} ... ${taskOutcome(e)}`), ...this.taskDetails(e), ...diffLines(e.diffs).map((l) => this.line(e.host, `${DETAIL}${sanitize(l)}`))];
      case 'host_end': {
        const counts = `ok=${e.recap.ok} changed=${e.recap.changed} failed=${e.recap.failed} skipped=${e.recap.skipped}`;
        const lines = [this.line(e.host, `${e.status}${e.message ? `: ${oneLine(e.message)}` : ''} (${counts})`)];
        if (e.hint) lines.push(this.line(e.host, `${DETAIL}hint: ${oneLine(e.hint)}`));
        return lines;
      }
      case 'run_end':
        this.recapPrinted = true;
        return ['', ...this.recapLines()];
      default:
        return [];
    }
  }

  private taskDetails(e: TaskEndEvent): string[] {
    const body: string[] = [];
    // The outcome line already gives the exit status; a message that only repeats it is noise.
    if (e.status === 'failed' && e.message && e.message !== failureReason(e)) body.push(`${DETAIL}${oneLine(e.message)}`);
    if (this.verbose) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const lines = outputLines(e[stream]);
        if (lines.length) body.push(`${DETAIL}${stream}:`, ...lines.map((l) => `${CONTENT}${l}`));
      }
    } else if (e.status === 'failed') {
      const tail = failureOutput(e, PLAIN_TAIL_LINES);
      if (tail) body.push(`${DETAIL}${tail.heading}`, ...tail.lines.map((l) => `${CONTENT}${l}`));
    }
    return body.map((l) => this.line(e.host, l));
  }

  private line(host: string, text: string): string {
    return `${host.padEnd(this.hostWidth)} | ${text}`.trimEnd();
  }

  private recapLines(): string[] {
    return formatRecap(this.recap.rows(), this.recap.end, undefined, this.recap.check);
  }
}
