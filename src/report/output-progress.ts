import { StringDecoder } from 'node:string_decoder';

/** At most one progress message a second from a command's output. */
export const OUTPUT_PROGRESS_MS = 1000;

/** Where output comes from: each stream has its own unfinished line. */
type Stream = 'stdout' | 'stderr';

/**
 * The latest complete output line of a running command, reported as its progress at most once
 * per interval. Each stream keeps its own unfinished line: stdout and stderr arrive interleaved,
 * and a line half-written on one must not be glued to a line of the other.
 */
export class OutputProgress {
  private readonly partial: Record<Stream, string> = { stdout: '', stderr: '' };
  // A UTF-8 character split across two chunks is decoded whole.
  private readonly decoders: Record<Stream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private latest = '';
  private shown = '';
  private last: number;

  constructor(
    private readonly progress: (message: string) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = OUTPUT_PROGRESS_MS,
  ) {
    this.last = now();
  }

  /** Takes a chunk of a stream's output. */
  push(stream: Stream, chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoders[stream].write(chunk);
    const lines = (this.partial[stream] + text).split('\n');
    // A line that never ends (a progress bar drawn with \r) must not grow without bound.
    this.partial[stream] = (lines.pop() ?? '').slice(-1000);
    const line = lines.reverse().find((l) => l.trim() !== '');
    if (line !== undefined) this.latest = line.trim().slice(0, 300);
    const t = this.now();
    if (this.latest && this.latest !== this.shown && t - this.last >= this.intervalMs) {
      this.shown = this.latest;
      this.last = t;
      this.progress(this.latest);
    }
  }
}

/**
 * Shows what a long command (a debug build takes minutes) is doing: its latest complete output
 * line becomes the task's progress, at most once a second, so a flood of output costs nothing.
 */
export function outputProgress(progress: (message: string) => void): (stream: Stream, chunk: Buffer) => void {
  const p = new OutputProgress(progress);
  return (stream, chunk) => p.push(stream, chunk);
}
