// Wording shared by the text reporters, so the terminal and CI logs say the same thing the same way.
import type { Recap, TaskEndEvent, TaskStartEvent } from './events.js';
import { wrapWords } from '../text/wrap.js';

/** 340 -> "340ms", 1234 -> "1.2s", 125000 -> "2m 5s", 3720000 -> "1h 2m": elapsed time as people read it. */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0ms';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  // Rounding 59.96s must not print "60.0s"; it falls through to minutes instead.
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s / 60}m`;
  const m = Math.round(s / 60);
  return m % 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m / 60}h`;
}

// CSI (ESC [ or the one-byte C1 form), OSC (ESC ] ... BEL or ST), then any other two-byte ESC sequence.
const ESCAPES = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
// Remote output is shown inside our own layout: other control characters would move the cursor or ring the bell.
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Text from a remote command made safe to print: no escape sequences, no control characters but tab and newline. */
export function sanitize(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}

/** The lines of a command's output as a terminal would have left them (a `\r` redraw keeps only its last state). */
export function outputLines(text: string | undefined): string[] {
  if (!text) return [];
  // NUL separates words (/proc/PID/cmdline, find -print0): dropped with the other controls, they would run together.
  const lines = text.replaceAll('\0', ' ').split('\n').map((line) => {
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    return sanitize(body.slice(body.lastIndexOf('\r') + 1));
  });
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}

/** What a failed task printed last: stderr, or stdout when stderr is empty; `heading` says which and how much. */
export function failureOutput(e: TaskEndEvent, max: number): { heading: string; lines: string[] } | undefined {
  let stream: 'stderr' | 'stdout' = 'stderr';
  let lines = outputLines(e.stderr);
  if (!lines.length) {
    stream = 'stdout';
    lines = outputLines(e.stdout);
  }
  if (!lines.length) return undefined;
  const heading = lines.length > max ? `${stream}, last ${max} of ${lines.length} lines:` : `${stream}:`;
  return { heading, lines: lines.slice(-max) };
}

/** Why a command failed, as the OS told it: timeout, signal or exit status. */
export function failureReason(e: TaskEndEvent): string | undefined {
  if (e.timedOut) return `timed out after ${formatElapsed(e.durationMs)}`;
  if (e.signal) return `killed by ${e.signal}`;
  if (typeof e.rc === 'number') return `exit status ${e.rc}`;
  return undefined;
}

/** "3 Stop the static pod": the task as the plan listed it. */
export function taskLabel(e: TaskStartEvent | TaskEndEvent): string {
  return sanitize(`${e.taskId} ${e.name}`);
}

/** Kinds whose message is what they are run for: shown on the host's line when they succeed too. */
const SAYS: ReadonlySet<string> = new Set(['debug', 'assert']);

/** How a task ended, without its label: "changed (1.2s)", "skipped: not a control plane", "failed (3s): exit status 1 [E_TASK_FAILED]". */
export function taskOutcome(e: TaskEndEvent, paint: (status: string) => string = (s) => s): string {
  if (e.status === 'skipped') return e.message ? `${paint('skipped')}: ${oneLine(e.message)}` : paint('skipped');
  // Under --check a predicted change did not happen: say so where the status is read.
  const said = e.status === 'changed' && e.check === 'predicted' ? 'would change' : e.status;
  const word = e.status === 'failed' && e.ignoredError ? `${paint('failed')}, ignored` : paint(said);
  const timing = e.attempts > 1 ? `${formatElapsed(e.durationMs)}, ${e.attempts} attempts` : formatElapsed(e.durationMs);
  const reason = e.status === 'failed' ? failureReason(e) : SAYS.has(e.kind) ? e.message : undefined;
  // The code says what kind of failure it was, as every other kplay error does.
  const code = e.status === 'failed' && e.code ? ` [${e.code}]` : '';
  return `${word} (${timing})${reason ? `: ${reason}` : ''}${code}`;
}

/** "2 ok, 1 changed, 1 skipped": the non-zero task counts of a host. */
export function countsText(r: Recap): string {
  const parts = (['ok', 'changed', 'failed', 'skipped'] as const).filter((k) => r[k] > 0).map((k) => `${r[k]} ${k}`);
  return parts.length ? parts.join(', ') : 'no tasks';
}

/** A message meant for one line, kept on one line. */
export function oneLine(text: string): string {
  return sanitize(text.replace(/\s*\r?\n\s*/g, ' ').trim());
}

/**
 * A playbook's description as lines under a heading, wrapped to 100 columns: what a run does (to the
 * cluster too) is read before it starts, so it must be readable in a terminal and in a CI log.
 */
export function descriptionLines(description: string | undefined, indent = '  '): string[] {
  const text = description ? oneLine(description) : '';
  if (!text) return [];
  return wrapWords(text, 100 - indent.length).map((l) => `${indent}${l}`);
}

/** An event's time in epoch ms; the reporter's own clock if the engine sent something unparsable. */
export function eventTime(time: string): number {
  const t = Date.parse(time);
  return Number.isNaN(t) ? Date.now() : t;
}
