/** How often a long command's latest output line is reported as its progress. */
const OUTPUT_PROGRESS_MS = 1000;

/**
 * Shows what a long command (a debug build takes minutes) is doing: its latest complete output
 * line becomes the task's progress, at most once a second, so a flood of output costs nothing.
 */
export function outputProgress(progress: (message: string) => void): (stream: 'stdout' | 'stderr', chunk: Buffer) => void {
  let partial = '';
  let latest = '';
  let shown = '';
  let last = performance.now();
  return (_stream, chunk) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = (lines.pop() ?? '').slice(-1000);
    const line = lines.reverse().find((l) => l.trim() !== '');
    if (line !== undefined) latest = line.trim().slice(0, 300);
    const now = performance.now();
    if (latest && latest !== shown && now - last >= OUTPUT_PROGRESS_MS) {
      shown = latest;
      last = now;
      progress(latest);
    }
  };
}
